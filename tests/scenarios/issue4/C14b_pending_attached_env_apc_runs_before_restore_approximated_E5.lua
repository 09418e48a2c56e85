-- C14(b) - Attached-environment kernel APC pending at detach runs before the
-- restore (SEMANTICS.md 2, C14; rule E5) - APPROXIMATED.
--
-- Case: "Race: T1 has entered KeUnstackDetachProcess and already raised IRQL to
-- SYNCH_LEVEL, but has not yet taken its APC queue lock, when T2 completes the
-- insertion of NK N1 (env 1): KAP is set and the IPI's APC request is latched but
-- masked. Expected (Windows/WRK MP, and also ReactOS KeUnstackDetachProcess): after
-- taking the lock T1 sees KAP with the special-APC/IRQL conditions met, releases the
-- lock (IRQL back to PASSIVE), the APC interrupt runs KR_N1@APC and NR_N1@PASSIVE
-- **while AS.Process = P2**, the lock is retaken, the lists are empty, and detach
-- completes; N1 never runs in P1." (E5)
--
-- What is approximated, and why: apcsim runs KeUnstackDetachProcess as one step at
-- one instant, so no insertion can land between its IRQL raise and its lock, and
-- a caller at PASSIVE never enters it with KernelApcPending set (any pending,
-- deliverable kernel APC has been delivered before the call). The scenario
-- therefore plays the first half of the WRK detach itself: it raises to
-- SYNCH_LEVEL (12, x64) - "entered the detach, lock not yet taken" - N1 arrives in
-- that window (KAP set, APC request latched but masked), the scenario checks what
-- the detach code checks (KAP, SAD == 0, old IRQL < APC_LEVEL), then "releases the
-- lock" by lowering to PASSIVE: the latched APC interrupt delivers N1 in P2; then
-- the real KeUnstackDetachProcess finds empty lists and restores P1. This checks
-- the observable contract (N1 runs in P2, before the restore, never in P1), not
-- apcsim's own pre-delivery loop, which this timing cannot reach.
machine { cpus = 2 }

local SYNCH_LEVEL = 12
local P1 = process { name = "P1" }
local P2 = process { name = "P2" }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local IRQL = { [0] = "PASSIVE", [1] = "APC", [2] = "DISPATCH" }
local function at_irql() return IRQL[current_irql()] or tostring(current_irql()) end

local T1
T1 = thread { name = "T1", process = P1, system = true, affinity = 2, body = function()
  local B = KeStackAttachProcess(P2)
  compute(us(40))
  -- KeUnstackDetachProcess, first half: raise to SYNCH_LEVEL (lock not yet taken).
  local old = KeRaiseIrql(SYNCH_LEVEL)
  rec("raised")
  compute(us(20))                                    -- N1 is inserted at 50 us
  -- "after taking the lock T1 sees KAP with the special-APC/IRQL conditions met"
  local s = state(T1)
  expect(s.KernelApcPending == true and joined(s.kernel_queue) == "N1", "KAP set by N1's insertion (I8)")
  expect(s.SpecialApcDisable == 0 and old == PASSIVE_LEVEL, "E5 loop condition: SAD == 0, old IRQL < APC_LEVEL")
  expect(#log == 2, "N1 not delivered while IRQL is SYNCH_LEVEL: " .. joined(log))
  -- "releases the lock (IRQL back to PASSIVE), the APC interrupt runs KR_N1, NR_N1"
  rec("lock-released")
  KeLowerIrql(old)
  rec("lock-retaken")
  s = state(T1)
  expect(s.process == "P2" and s.ApcStateIndex == 1, "still attached to P2")
  expect(#s.kernel_queue == 0 and #s.user_queue == 0 and not s.KernelApcInProgress and not s.KernelApcPending,
         "the lists are empty: the leftover check of E5 passes")
  KeUnstackDetachProcess(B)
  rec("detached")
  s = state(T1)
  expect(s.process == "P1" and s.ApcStateIndex == 0, "E6: home")
  expect(joined(log) == "raised N1-inserted lock-released KR_N1@APC/P2 NR_N1@PASSIVE/P2 lock-retaken detached",
         "N1 ran in P2 before the restore, never in P1: " .. joined(log))
end }

at(us(50), function()
  local N1 = KeInitializeApc { thread = T1, name = "N1", environment = "AttachedApcEnvironment",
    kernel_routine = function() rec("KR_N1@" .. at_irql() .. "/" .. state(T1).process) end,
    normal_routine = function() rec("NR_N1@" .. at_irql() .. "/" .. state(T1).process) end }
  expect(KeInsertQueueApc(N1), "insert N1 (env 1)")
  rec("N1-inserted")
  local s = state(T1)
  expect(s.KernelApcPending and s.state == "Running" and s.irql == SYNCH_LEVEL,
         "KAP set, the APC request latched on CPU 1 but masked at SYNCH_LEVEL")
end, { cpu = 0 })
