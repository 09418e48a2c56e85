-- IRQL_UNEXPECTED_VALUE without expect_bugcheck: the KR of a *normal* kernel APC
-- lowers to PASSIVE_LEVEL and returns there; exit status 4, the name on stderr
-- (SEMANTICS.md 1.C D3; Profiles row 10 - run here under reactos, which "always
-- bugchecks"; API exit status 4).
-- D3: "KR must return at APC_LEVEL, else bugcheck IRQL_UNEXPECTED_VALUE".
-- args: --profile reactos
-- expect-exit: 4
-- expect-stderr: IRQL_UNEXPECTED_VALUE
-- expect-stderr: IRQL_UNEXPECTED_VALUE (c8)
machine { cpus = 1 }
local T1
T1 = thread { name = "T1", system = true, body = function()
  KeInsertQueueApc(KeInitializeApc { thread = T1, name = "N1",
    kernel_routine = function() KeLowerIrql(PASSIVE_LEVEL) end,
    normal_routine = function() expect(false, "NR_N1 never runs") end })
  expect(false, "not reached")
end }
