-- KERNEL_APC_PENDING_DURING_EXIT without expect_bugcheck: a body that returns inside
-- a guarded region (CAD != 0 through SAD) ends the run with exit status 4 and the
-- name on stderr (SEMANTICS.md 1.H T5; rules T5, R5; API exit status 4).
-- T5: "bugcheck KERNEL_APC_PENDING_DURING_EXIT if CAD != 0".
-- expect-exit: 4
-- expect-stderr: KERNEL_APC_PENDING_DURING_EXIT
-- expect-stderr: KERNEL_APC_PENDING_DURING_EXIT (20)
machine { cpus = 1 }
thread { name = "T1", system = true, body = function()
  KeEnterGuardedRegion()
end }
