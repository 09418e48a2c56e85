-- DIFF row 5 - an APC aimed at a non-current environment (SEMANTICS.md 1.A A4
-- [DIFF], Profiles table row 5; rules A4, I4, I6, E1, E4).
--
-- Profiles row 5: "APC aimed at a non-current env (A4) | nt52: parked in Ptr[index]
-- | reactos: same | win10: only Original-while-attached goes to SAS". A4: "ReactOS
-- asserts that 0/1 are not larger than the thread's current Idx (targeting the
-- Attached env of a non-attached thread is a caller bug: the APC would sit in the
-- dormant SAS). [DIFF] modern Windows ... uses SAS only when the APC says Original
-- and the thread is attached; every other combination goes to the live AS".
--
-- One script, run under nt52 and win10. T1 (home P1) is attached to P2 from 0 to
-- 100 us: at 50 us CPU 0 inserts SK S2 with OriginalApcEnvironment - SAS in both
-- profiles, run after the detach - and at 70 us SK S3 with AttachedApcEnvironment -
-- the live AS (P2) in both. At 150 us, T1 no longer attached, it inserts SK S1 with
-- AttachedApcEnvironment - the combination that differs:
--   nt52:  S1 goes to Ptr[1] = SAS (E1): parked, never signalled, never run (I6);
--          it is still there when T1 ends;
--   win10: S1 goes to the live AS and runs at once in P1.
-- args: --profile nt52
-- args: --profile win10
machine { cpus = 2 }
local WANT = ({
  -- nt52: S1 parked in the dormant SAS: no KAP, not run.
  nt52 = { sas_after_s1 = "S1", kap_after_s1 = false,
    log = "S3/P2@70 S2/P1@100 detached" },
  -- win10: S1 goes to the live ApcState and runs at once, in P1.
  win10 = { sas_after_s1 = "", kap_after_s1 = true,
    log = "S3/P2@70 S2/P1@100 detached S1/P1@150" },
})[current_profile()]
local P1 = process { name = "P1" }
local P2 = process { name = "P2" }
local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end

local T1
local function sk(name, env)
  return KeInitializeApc { thread = T1, name = name, environment = env,
    kernel_routine = function() rec(name .. "/" .. state(T1).process .. "@" .. now() // 1000) end }
end

T1 = thread { name = "T1", process = P1, system = true, affinity = 2, body = function()
  expect(WANT ~= nil, "run with --profile nt52 or --profile win10, not " .. current_profile())
  local B = KeStackAttachProcess(P2)
  compute(us(100))                                   -- S2 at 50 us, S3 at 70 us
  local s = state(T1)
  expect(joined(s.saved_kernel_queue) == "S2", "S2 (Original while attached) parked in SAS in every profile: "
         .. joined(s.saved_kernel_queue))
  KeUnstackDetachProcess(B)
  rec("detached")
  compute(us(100))                                   -- S1 at 150 us
  s = state(T1)
  expect(joined(s.saved_kernel_queue) == WANT.sas_after_s1, "SAS after S1: " .. joined(s.saved_kernel_queue))
  expect(s.ApcStateIndex == 0 and s.process == "P1", "T1 not attached")
  expect(joined(log) == WANT.log, "order: " .. joined(log))
end }

at(us(50), function() expect(KeInsertQueueApc(sk("S2", "OriginalApcEnvironment")), "insert S2") end, { cpu = 0 })
at(us(70), function() expect(KeInsertQueueApc(sk("S3", "AttachedApcEnvironment")), "insert S3") end, { cpu = 0 })
at(us(150), function()
  expect(KeInsertQueueApc(sk("S1", "AttachedApcEnvironment")), "insert S1 (env 1, T1 not attached)")
  expect(state(T1).KernelApcPending == WANT.kap_after_s1, "KAP after S1")
end, { cpu = 0 })
