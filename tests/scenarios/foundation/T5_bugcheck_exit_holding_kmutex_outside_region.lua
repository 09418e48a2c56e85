-- T5_bugcheck_exit_holding_kmutex_outside_region: a thread that owns a KMUTEX
-- but has balanced the implicit critical region (an extra
-- KeLeaveCriticalRegion: KernelApcDisable back to 0) passes the
-- CombinedApcDisable check of PspExitThread; KeRundownThread then finds the
-- owned kernel mutex: bugcheck THREAD_TERMINATE_HELD_MUTEX (unlike a user
-- mutant, which would be abandoned). Rules: T5, R8, R4.
expect_bugcheck("THREAD_TERMINATE_HELD_MUTEX")
local mx = mutex { name = "mx" }

thread { name = "k", system = true, body = function()
    KeWaitForSingleObject(mx, {})
    KeLeaveCriticalRegion()
    expect(state(current_thread()).KernelApcDisable == 0, "KernelApcDisable balanced to 0")
    -- returns while owning mx
end }
