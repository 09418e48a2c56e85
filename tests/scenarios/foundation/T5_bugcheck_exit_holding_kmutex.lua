-- T5_bugcheck_exit_holding_kmutex: a thread that ends while it owns a KMUTEX
-- (mutex{}) still has KernelApcDisable -1 from the acquisition (R8), and
-- PspExitThread checks CombinedApcDisable before KeRundownThread looks at owned
-- mutants (T5 order), so the bugcheck is KERNEL_APC_PENDING_DURING_EXIT.
-- Rules: T5, R8.
expect_bugcheck("KERNEL_APC_PENDING_DURING_EXIT")
local mx = mutex { name = "mx" }

thread { name = "k", system = true, body = function()
    KeWaitForSingleObject(mx, {})
    -- returns while owning mx (KernelApcDisable -1)
end }
