-- THREAD_TERMINATE_HELD_MUTEX without expect_bugcheck: exit status 4 and the name on
-- stderr (SEMANTICS.md 1.H T5; rules T5, R8; API exit status 4). The thread owns a
-- KMUTEX, has balanced the implicit critical region (KAD 0) and its body returns.
-- expect-exit: 4
-- expect-stderr: THREAD_TERMINATE_HELD_MUTEX
-- expect-stderr: THREAD_TERMINATE_HELD_MUTEX (4000008a)
machine { cpus = 1 }
local mx = mutex { name = "mx" }
thread { name = "T1", system = true, body = function()
  KeWaitForSingleObject(mx, {})
  KeLeaveCriticalRegion()
end }
