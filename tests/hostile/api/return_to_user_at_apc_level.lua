-- A system call that returns to user mode at APC_LEVEL.
-- expect-exit: 4
-- expect-stderr: IRQL_GT_ZERO_AT_SYSTEM_SERVICE
machine { cpus = 1 }
thread { name = "T", body = function()
  syscall("NtX", function() KeRaiseIrql(APC_LEVEL) end)
end }
