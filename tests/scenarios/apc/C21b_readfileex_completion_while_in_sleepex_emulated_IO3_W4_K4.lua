-- C21 variant - ReadFileEx-style completion while the thread is already in
-- SleepEx(inf, TRUE), EMULATED (SEMANTICS.md 2, C21; rules IO3, I8, W4, W2b, K2, K4).
--
-- Case: "Variant: T1 was already in SleepEx(inf, TRUE) when the IRP completed ->
-- woken with STATUS_KERNEL_APC (boost 1), IopCompleteRequest runs during the
-- switch-in, re-wait finds the user APC -> STATUS_USER_APC -> C runs ->
-- WAIT_IO_COMPLETION."
-- EMULATION as in C21a: the DPC inserts the SK IopCompleteRequest (increment 1);
-- its KR sets the event and self-inserts the user APC C with increment 2.
-- K4: the unwait with increment 1 raises T1 (dynamic, base 8) to priority 9.
machine { cpus = 2 }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local IRQL = { [0] = "PASSIVE", [1] = "APC", [2] = "DISPATCH" }
local function at_irql() return IRQL[current_irql()] or tostring(current_irql()) end

local done = event { name = "done" }
local T1

T1 = thread { name = "T1", affinity = 2, body = function()
  compute(us(10))
  local r = SleepEx(INFINITE, true)                    -- the IRP completes at 50 us
  rec("SleepEx=" .. tostring(r))
  expect(r == "WAIT_IO_COMPLETION", "SleepEx returns WAIT_IO_COMPLETION: " .. tostring(r))
  expect(now() == us(50), "woken at 50 us")
  expect(joined(log) == "KR_IopCompleteRequest@APC KR_C@APC C@user SleepEx=WAIT_IO_COMPLETION",
         "order: IopCompleteRequest, then C, then SleepEx returns: " .. joined(log))
  local s = state(T1)
  expect(#s.user_queue == 0 and s.UserApcPending == false, "clean afterwards")
end }

at(us(50), function()
  local s = state(T1)
  expect(s.state == "Waiting" and s.wait_reason == "UserRequest", "T1 is in its alertable sleep")
  local sk = KeInitializeApc { thread = T1, name = "IopCompleteRequest",
    kernel_routine = function()
      expect(current_thread() == T1, "runs in T1")
      expect(state(T1).priority == 9, "T1 was readied with boost 1: priority 8 -> 9 (K4): " .. state(T1).priority)
      rec("KR_IopCompleteRequest@" .. at_irql())
      KeSetEvent(done, 0)
      local u = KeInitializeApc { thread = T1, name = "C", mode = "UserMode",
        environment = "CurrentApcEnvironment",
        normal_routine = function() rec("C@" .. (current_mode() == "UserMode" and "user" or "kernel")) end,
        kernel_routine = function() rec("KR_C@" .. at_irql()) end }
      expect(KeInsertQueueApc(u, nil, nil, 2) == true, "C self-inserted")
      expect(state(T1).UserApcPending == false, "UAP FALSE after the self-insertion (I7)")
    end }
  expect(KeInsertQueueApc(sk, nil, nil, 1) == true, "SK inserted")
  expect(state(T1).state ~= "Waiting", "the SK woke T1 (STATUS_KERNEL_APC, I8)")
end, { cpu = 0 })
