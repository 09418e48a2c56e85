-- Bugcheck IRQL_UNEXPECTED_VALUE: a kernel routine that returns at another IRQL than
-- APC_LEVEL (SEMANTICS.md 1.C D3; Profiles table row 10; rules D3, D9).
--
-- D3: "KR must return at APC_LEVEL, else bugcheck IRQL_UNEXPECTED_VALUE (ReactOS
-- always, WRK checked builds)." Profiles row 10: "IRQL check after KR (D3) | bugcheck
-- | bugcheck | bugcheck" (the same in every profile: not a [DIFF] a profile selects).
-- The KR of special APC S1 raises to DISPATCH_LEVEL and returns.
machine { cpus = 1 }
expect_bugcheck("IRQL_UNEXPECTED_VALUE")

local T1
T1 = thread { name = "T1", system = true, body = function()
  local S1 = KeInitializeApc { thread = T1, name = "S1", kernel_routine = function()
    expect(current_irql() == APC_LEVEL, "a KR starts at APC_LEVEL (D9)")
    KeRaiseIrql(DISPATCH_LEVEL)                      -- and forgets to lower
  end }
  KeInsertQueueApc(S1)                               -- self-insertion at PASSIVE: delivered at once (I7)
  expect(false, "not reached")
end }
