-- syscall() nested inside a syscall (already in kernel mode).
-- expect-exit: 3
-- expect-stderr: scenario error: api/syscall_from_kernel_mode.lua:6: syscall("NtY") from kernel mode
machine { cpus = 1 }
thread { name = "T", body = function()
  syscall("NtX", function() syscall("NtY", function() end) end)
end }
