-- C14(b) - Attached-environment kernel APC inserted while the detach is taking its
-- lock runs before the restore (SEMANTICS.md 2, C14; rule E5).
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
-- apcsim's detach raises to SYNCH_LEVEL and yields before it takes the lock, so an
-- insertion another CPU makes at that same instant lands in the window. T1 computes
-- until 50 us and calls KeUnstackDetachProcess then; T2 (CPU 0) schedules at 20 us
-- a DPC for 50 us, which is therefore due after T1's compute ends and runs in the
-- window. The pre-delivery loop of E5 is what delivers N1. Run under nt52 and
-- reactos (both loop in KeUnstackDetachProcess; [DIFF] row 4 differs only at
-- APC_LEVEL).
-- args: --profile nt52
-- args: --profile reactos
-- expect-dump: 50000 1 T1 IRQL from=PASSIVE_LEVEL to=SYNCH_LEVEL
-- expect-dump: 50000 1 T1 IRQL from=SYNCH_LEVEL to=PASSIVE_LEVEL
machine { cpus = 2 }

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
  compute(us(50))
  rec("detach")
  KeUnstackDetachProcess(B)
  rec("detached")
  local s = state(T1)
  expect(s.process == "P1" and s.ApcStateIndex == 0 and current_irql() == 0, "E6: home, at PASSIVE")
  expect(joined(log) == "detach N1-inserted KR_N1@APC/P2 NR_N1@PASSIVE/P2 detached",
         "N1 inserted in the window ran in P2 before the restore, never in P1: " .. joined(log))
end }

thread { name = "T2", system = true, affinity = 1, body = function()
  compute(us(20))
  at(now() + us(30), function()                        -- due at 50 us, after T1's compute end
    local s = state(T1)
    expect(s.irql == 12 and s.process == "P2", "T1 is in the window: SYNCH_LEVEL, still attached: irql "
           .. s.irql .. " " .. s.process)
    local N1 = KeInitializeApc { thread = T1, name = "N1", environment = "AttachedApcEnvironment",
      kernel_routine = function() rec("KR_N1@" .. at_irql() .. "/" .. state(T1).process) end,
      normal_routine = function() rec("NR_N1@" .. at_irql() .. "/" .. state(T1).process) end }
    expect(KeInsertQueueApc(N1), "insert N1 (env 1)")
    rec("N1-inserted")
    expect(state(T1).KernelApcPending, "KAP set; the APC request latched on CPU 1 but masked")
  end, { cpu = 0 })
end }
