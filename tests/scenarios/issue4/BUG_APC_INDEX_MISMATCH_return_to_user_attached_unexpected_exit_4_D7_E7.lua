-- APC_INDEX_MISMATCH without expect_bugcheck: a system call returns to user mode
-- attached (KeAttachProcess not undone): exit status 4, the name on stderr
-- (SEMANTICS.md 1.C D7, 1.G E7; API exit status 4).
-- expect-exit: 4
-- expect-stderr: APC_INDEX_MISMATCH
-- expect-stderr: APC_INDEX_MISMATCH (1)
machine { cpus = 1 }
local P2 = process { name = "P2" }
thread { name = "T1", body = function()
  syscall("NtLeakyAttach", function() KeAttachProcess(P2) end)
  expect(false, "not reached")
end }
