-- C23 - APC pending when a PASSIVE waiter is dispatched runs before the wait
-- returns (SEMANTICS.md 2, C23; rules K2, I8, K5, W3).
--
-- Case: "1 CPU; T1 (prio 8) in KeWaitForSingleObject(E, KernelMode, FALSE); T2
-- (prio 10) running. T2 sets E (T1 -> Ready; T2 keeps the CPU), inserts NK N1
-- into T1 (T1 Ready -> only KAP), then T2 blocks. Expected: switching to T1,
-- SwapContext returns "APC pending" (T1 was switched out at PASSIVE);
-- KiSwapThread runs KR_N1@APC and NR_N1@PASSIVE, then returns the captured
-- STATUS_WAIT_0, so the wait returns STATUS_WAIT_0 after N1 completed. (K2)"
machine { cpus = 1 }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local IRQL = { [0] = "PASSIVE", [1] = "APC", [2] = "DISPATCH" }
local function at_irql() return IRQL[current_irql()] or tostring(current_irql()) end

local E = event { name = "E" }
local never = event { name = "never" }
local T1
local status

T1 = thread { name = "T1", system = true, priority = 8, body = function()
  status = KeWaitForSingleObject(E, { mode = "KernelMode", alertable = false })
  rec("wait=" .. status)
  expect(status == "STATUS_WAIT_0" or status == "STATUS_SUCCESS", "the wait returns its own status (K2): " .. status)
  expect(joined(log) == "T2-blocks KR_N1@APC NR_N1@PASSIVE wait=" .. status,
         "N1 ran during the switch-in, before the wait returned: " .. joined(log))
  expect(state(T1).KernelApcPending == false and #state(T1).kernel_queue == 0, "N1 consumed")
  -- Last, the status name (numerically STATUS_WAIT_0 = STATUS_SUCCESS = 0).
  expect(status == "STATUS_WAIT_0", "the wait returns the name STATUS_WAIT_0, got " .. status)
end }

thread { name = "T2", system = true, priority = 10, start_at = us(10), body = function()
  expect(state(T1).state == "Waiting", "T1 waits")
  expect(KeSetEvent(E, 0) == 0, "E was not signaled")
  local s = state(T1)
  expect(s.state == "Ready", "T1 readied but T2 (prio 10) keeps the CPU: " .. s.state)
  local N1 = KeInitializeApc { thread = T1, name = "N1",
    kernel_routine = function() rec("KR_N1@" .. at_irql()) end,
    normal_routine = function() rec("NR_N1@" .. at_irql()) end }
  expect(KeInsertQueueApc(N1) == true, "N1 inserted")
  s = state(T1)
  expect(s.state == "Ready", "T1 still Ready")
  expect(s.KernelApcPending == true, "Ready target: only KAP = TRUE (I8)")
  expect(joined(s.kernel_queue) == "N1", "N1 queued")
  expect(#log == 0, "nothing ran yet")
  rec("T2-blocks")
  KeWaitForSingleObject(never, { timeout = ms(1) })
end }
