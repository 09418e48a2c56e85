-- The internal hook __syscall_exit is a global: a system thread uses it to
-- "return to user mode", which no system thread can do.
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/internal_syscall_exit_system_thread.lua:7:
machine { cpus = 1 }
thread { name = "T", system = true, body = function()
  __syscall_exit()
  expect(current_mode() == "KernelMode", "a system thread is running in user mode")
end }
