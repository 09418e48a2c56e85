-- ERR_syscall_from_kernel_mode: syscall() is for user mode only; calling it
-- from a system thread (kernel mode) is a scenario error at file:line.
-- API: syscall ("user mode only"), scenario errors.
-- expect-exit: 3
-- expect-stderr: ERR_syscall_from_kernel_mode.lua:8:
thread { name = "k", system = true, body = function()
    compute(us(1))
    syscall("NtSomething", function() end)
end }
