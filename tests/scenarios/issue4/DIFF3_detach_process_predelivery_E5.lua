-- DIFF row 3 - KeDetachProcess pre-delivery (SEMANTICS.md 1.G E5 [DIFF], Profiles
-- table row 3; case C14(b); rules E5, E6, I8, R1) - APPROXIMATED.
--
-- Profiles row 3: "KeDetachProcess pre-delivery (E5) | nt52: loop delivers
-- attached-env kernel APCs first | reactos: no loop; leftovers bugcheck | win10: as
-- nt52". C14: "With ReactOS KeDetachProcess (no pre-delivery loop) the same timing
-- ends in bugcheck INVALID_PROCESS_DETACH_ATTEMPT."
--
-- The timing is C14(b)'s race: T1 has entered KeDetachProcess and raised IRQL to
-- SYNCH_LEVEL, but not yet taken its APC lock, when NK N1 (Attached environment) is
-- inserted from CPU 0 - KAP set, the APC request latched but masked.
-- What is approximated: apcsim performs KeDetachProcess in one step, and a caller at
-- PASSIVE never enters it with a deliverable kernel APC pending, so its
-- pre-delivery loop cannot be reached with this timing (only the leftover check can).
-- The script plays the window by hand: raise to SYNCH_LEVEL (12), N1 arrives, then
--   nt52:    the loop - "release the lock": lower to PASSIVE, N1 runs in P2, then
--            the real KeDetachProcess finds nothing left and restores P1;
--   reactos: no loop - the lock is taken with N1 still queued: KeDetachProcess is
--            called in the raised window and its leftover check bugchecks.
-- One script, run once under nt52 and once under reactos; both runs share
-- everything up to that point (WANT.predelivery_loop picks the ending).
-- args: --profile nt52
-- args: --profile reactos
machine { cpus = 2 }
local WANT = ({
  nt52 = { predelivery_loop = true },
  reactos = { predelivery_loop = false, bugcheck = "INVALID_PROCESS_DETACH_ATTEMPT" },
})[current_profile()]
expect(WANT ~= nil, "run with --profile nt52 or --profile reactos, not " .. current_profile())
if WANT.bugcheck then expect_bugcheck(WANT.bugcheck) end

local SYNCH_LEVEL = 12
local P1 = process { name = "P1" }
local P2 = process { name = "P2" }
local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local IRQL = { [0] = "PASSIVE", [1] = "APC", [2] = "DISPATCH" }
local function at_irql() return IRQL[current_irql()] or tostring(current_irql()) end

local T1
local function race_window()
  KeAttachProcess(P2)
  compute(us(40))
  local old = KeRaiseIrql(SYNCH_LEVEL)               -- KeDetachProcess: raise, lock not yet taken
  compute(us(20))                                    -- N1 arrives at 50 us
  local s = state(T1)
  expect(s.KernelApcPending and table.concat(s.kernel_queue, " ") == "N1" and #log == 1,
         "N1 pending in P2's ApcState, masked at SYNCH_LEVEL")
  return old
end

at(us(50), function()
  local N1 = KeInitializeApc { thread = T1, name = "N1", environment = "AttachedApcEnvironment",
    kernel_routine = function() rec("KR_N1@" .. at_irql() .. "/" .. state(T1).process) end,
    normal_routine = function() rec("NR_N1@" .. at_irql() .. "/" .. state(T1).process) end }
  expect(KeInsertQueueApc(N1), "insert N1 (env 1)")
  rec("N1-inserted")
end, { cpu = 0 })

T1 = thread { name = "T1", process = P1, system = true, affinity = 2, body = function()
  local old = race_window()
  if WANT.predelivery_loop then
    expect(current_profile() == "nt52", "run with --profile nt52")
    -- nt52 (WRK MP): while KAP and SAD == 0 and old IRQL < APC_LEVEL: release the lock.
    expect(state(T1).SpecialApcDisable == 0 and old == PASSIVE_LEVEL, "the loop condition holds")
    KeLowerIrql(old)                                 -- the pending APC interrupt delivers N1, in P2
    KeDetachProcess()
    rec("detached")
    local s = state(T1)
    expect(s.process == "P1" and s.ApcStateIndex == 0, "home")
    expect(joined(log) == "N1-inserted KR_N1@APC/P2 NR_N1@PASSIVE/P2 detached",
           "nt52: N1 delivered in P2 before the restore: " .. joined(log))
  else
    expect(current_profile() == "reactos", "run with --profile reactos")
    -- ReactOS KeDetachProcess: no pre-delivery loop; the APC lock is taken with N1
    -- queued in the attached environment -> INVALID_PROCESS_DETACH_ATTEMPT.
    KeDetachProcess()
    expect(false, "not reached: reactos bugchecks")
  end
end }
