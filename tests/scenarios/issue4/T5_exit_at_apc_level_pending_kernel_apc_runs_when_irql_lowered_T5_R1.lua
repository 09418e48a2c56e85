-- T5 order - a deliverable kernel APC pending when a thread exits at APC_LEVEL runs
-- when PspExitThread lowers IRQL to PASSIVE, before ApcQueueable is cleared
-- (SEMANTICS.md 1.H T5, 1.D R1; rules T5, T1, R1, R3).
--
-- T5: "PspExitThread order of events (APC-relevant steps): bugcheck if attached;
-- lower IRQL to PASSIVE; bugcheck KERNEL_APC_PENDING_DURING_EXIT if CAD != 0; ...
-- Then: enter critical region; Q = FALSE; KeForceResumeThread; leave critical region
-- ...". R1: the APC request "is serviced when that CPU's IRQL goes below APC_LEVEL".
--
-- T1 raises to APC_LEVEL, queues NK N1 to itself (KAP, APC request latched but
-- masked, R3) and terminates itself (T1). The lowering to PASSIVE at the start of
-- PspExitThread lets the APC interrupt in: N1's KR and NR run then, while T1 is
-- still queueable - not later, in the "leave critical region" step after Q = FALSE.
machine { cpus = 1 }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local function q() return state(current_thread()).ApcQueueable and "Q" or "noQ" end

local T1
T1 = thread { name = "T1", system = true, body = function()
  KeRaiseIrql(APC_LEVEL)
  local N1 = KeInitializeApc { thread = T1, name = "N1",
    kernel_routine = function() rec("KR_N1/" .. q()) end,
    normal_routine = function() rec("NR_N1/" .. q()) end }
  expect(KeInsertQueueApc(N1), "insert N1")
  expect(#log == 0 and state(T1).KernelApcPending, "masked at APC_LEVEL (R3)")
  rec("exit")
  PsTerminateThread(T1, 5)
  expect(false, "not reached")
end }

thread { name = "W", system = true, start_at = us(1), body = function()
  expect(KeWaitForSingleObject(T1, {}) == "STATUS_WAIT_0", "T1 ended")
  expect(state(T1).exit_status == 5, "exit status 5")
  expect(joined(log) == "exit KR_N1/Q NR_N1/Q", "N1 ran at the lowering, before Q = FALSE: " .. joined(log))
end }
