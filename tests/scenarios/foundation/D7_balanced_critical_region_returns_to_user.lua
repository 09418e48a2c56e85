-- D7_balanced_critical_region_returns_to_user: the control case of
-- D7_bugcheck_return_to_user_in_critical_region: a system call that leaves the
-- critical region it entered returns to user mode normally (no bugcheck,
-- KernelApcDisable back to 0, syscall returns fn's result).
-- Rules: R4, R7, D7.
local done = false

thread { name = "u", body = function()
    local r = syscall("NtGoodService", function()
        expect(current_mode() == "KernelMode", "kernel mode inside syscall")
        KeEnterCriticalRegion()
        KeEnterCriticalRegion()
        expect(state(current_thread()).KernelApcDisable == -2, "regions nest: -2")
        expect(KeAreApcsDisabled() == true, "APCs disabled")
        KeLeaveCriticalRegion()
        KeLeaveCriticalRegion()
        return "result"
    end)
    expect(r == "result", "syscall returns fn's result")
    expect(current_mode() == "UserMode", "back in user mode")
    expect(state(current_thread()).KernelApcDisable == 0, "KernelApcDisable 0")
    done = true
end }

at(ms(1), function() expect(done, "finished") end)
