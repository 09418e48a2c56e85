-- Bugcheck APC_INDEX_MISMATCH: a system call that returns to user mode while still
-- attached (SEMANTICS.md 1.C D7, 1.G E7; rules D7, E7, E3).
--
-- E7: "Thread termination while attached is a bugcheck ..., and so is returning to
-- user mode while attached (D7)." D7: "Returning to user mode with CAD != 0 or Idx !=
-- 0 is a fatal error (bugcheck APC_INDEX_MISMATCH ...)."
machine { cpus = 1 }
expect_bugcheck("APC_INDEX_MISMATCH")

local P2 = process { name = "P2" }
local T1
T1 = thread { name = "T1", body = function()
  syscall("NtLeakyAttach", function()
    KeStackAttachProcess(P2)                         -- never undone
    expect(state(T1).ApcStateIndex == 1 and state(T1).KernelApcDisable == 0, "attached, no region")
  end)
  expect(false, "not reached: D7 bugchecks on the way back to user mode")
end }
