-- D7_bugcheck_return_to_user_in_critical_region: a system call that enters a critical
-- region and returns to user mode without leaving it (KernelApcDisable -1 on
-- the way out) is the fatal error APC_INDEX_MISMATCH. Rules: D7, R4; API
-- bugchecks ("returning to user mode inside a critical region").
expect_bugcheck("APC_INDEX_MISMATCH")

thread { name = "u", body = function()
    syscall("NtBuggyService", function()
        KeEnterCriticalRegion()
        expect(state(current_thread()).KernelApcDisable == -1, "inside the region")
    end)
    expect(false, "not reached: the return to user mode bugchecks")
end }
