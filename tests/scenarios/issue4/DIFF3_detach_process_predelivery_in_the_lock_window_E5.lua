-- DIFF row 3 - KeDetachProcess pre-delivery (SEMANTICS.md 1.G E5 [DIFF], Profiles
-- table row 3; case C14(b); rules E5, E6, I8, R1).
--
-- Profiles row 3: "KeDetachProcess pre-delivery (E5) | nt52: loop delivers
-- attached-env kernel APCs first | reactos: no loop; leftovers bugcheck | win10: as
-- nt52". C14: "With ReactOS KeDetachProcess (no pre-delivery loop) the same timing
-- ends in bugcheck INVALID_PROCESS_DETACH_ATTEMPT."
--
-- The timing is C14(b)'s race, with KeAttachProcess/KeDetachProcess: T1 calls
-- KeDetachProcess at 50 us; the detach raises to SYNCH_LEVEL and yields before it
-- takes the APC lock, and in that window a DPC on CPU 0 (scheduled by T2 at 20 us
-- for 50 us, so due after T1's compute end) inserts NK N1 in the Attached
-- environment: KAP set, the APC request latched but masked.
--   nt52, win10: the loop releases the lock, N1 runs in P2, the detach restores P1;
--   reactos:     no loop - the leftover check finds N1: INVALID_PROCESS_DETACH_ATTEMPT.
-- One script, run under each profile; WANT picks the ending.
-- args: --profile nt52
-- args: --profile reactos
-- args: --profile win10
machine { cpus = 2 }
local WANT = ({
  nt52 = { log = "detach N1-inserted KR_N1@APC/P2 NR_N1@PASSIVE/P2 detached" },
  win10 = { log = "detach N1-inserted KR_N1@APC/P2 NR_N1@PASSIVE/P2 detached" },
  reactos = { bugcheck = "INVALID_PROCESS_DETACH_ATTEMPT" },
})[current_profile()]
expect(WANT ~= nil, "run with --profile nt52, reactos or win10, not " .. current_profile())
if WANT.bugcheck then expect_bugcheck(WANT.bugcheck) end

local P1 = process { name = "P1" }
local P2 = process { name = "P2" }
local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local IRQL = { [0] = "PASSIVE", [1] = "APC", [2] = "DISPATCH" }
local function at_irql() return IRQL[current_irql()] or tostring(current_irql()) end

local T1
T1 = thread { name = "T1", process = P1, system = true, affinity = 2, body = function()
  KeAttachProcess(P2)
  compute(us(50))
  rec("detach")
  KeDetachProcess()
  expect(WANT.log, "not reached under " .. current_profile() .. ": the detach bugchecks")
  rec("detached")
  local s = state(T1)
  expect(s.process == "P1" and s.ApcStateIndex == 0, "home")
  expect(joined(log) == WANT.log, current_profile() .. ": N1 delivered in P2 before the restore: " .. joined(log))
end }

thread { name = "T2", system = true, affinity = 1, body = function()
  compute(us(20))
  at(now() + us(30), function()
    expect(state(T1).irql == 12, "T1 is in the detach's window (SYNCH_LEVEL)")
    local N1 = KeInitializeApc { thread = T1, name = "N1", environment = "AttachedApcEnvironment",
      kernel_routine = function() rec("KR_N1@" .. at_irql() .. "/" .. state(T1).process) end,
      normal_routine = function() rec("NR_N1@" .. at_irql() .. "/" .. state(T1).process) end }
    expect(KeInsertQueueApc(N1), "insert N1 (env 1)")
    rec("N1-inserted")
  end, { cpu = 0 })
end }
