-- S6 - a suspended PASSIVE waiter: woken to run the suspend APC, its wait goes on
-- after the resume; user APCs are not delivered while it is suspended
-- (SEMANTICS.md 1.I S6, S1; rules S6, S1, I8, W4, W2).
--
-- S6: "suspension takes effect only when the suspend NK can be delivered (...; a
-- PASSIVE waiter is woken with STATUS_KERNEL_APC to run it; ...). ... User APCs are
-- not delivered (kernel-mode non-alertable wait)." S1: the NR "performs a
-- KernelMode, non-alertable wait (reason Suspended) on the thread's
-- SuspendSemaphore". W4: STATUS_KERNEL_APC is transparent.
--
-- T1 waits alertably in user mode (WaitForSingleObjectEx(E, INFINITE, TRUE)). At
-- 10 us it is suspended: woken for the suspend APC, it now waits with reason
-- Suspended. At 20 us T2 queues user APC U1: no wake (the suspend wait is KernelMode,
-- not alertable). At 50 us T1 is resumed: the original alertable UserMode wait is
-- re-entered (W4) and finds U1 (W2b): U1 runs and the wait returns
-- WAIT_IO_COMPLETION at 50 us.
machine { cpus = 2 }

local app = process { name = "app" }
local E = event { name = "E" }
local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end

local T1
T1 = thread { name = "T1", process = app, affinity = 2, body = function()
  local r = WaitForSingleObjectEx(E, INFINITE, true)
  rec("wait=" .. r .. "@" .. now() // 1000)
  expect(joined(log) == "suspended U1-queued resume U1@50 wait=WAIT_IO_COMPLETION@50", "order: " .. joined(log))
end }

at(us(10), function()
  expect(state(T1).state == "Waiting" and state(T1).wait_reason == "UserRequest", "T1 waits alertably")
  expect(KeSuspendThread(T1) == 0, "suspend")
end, { cpu = 0 })

at(us(15), function()
  local s = state(T1)
  expect(s.state == "Waiting" and s.wait_reason == "Suspended" and s.KernelApcInProgress,
         "woken for the suspend APC, now waiting in KiSuspendThread (S1, S6)")
  rec("suspended")
end, { cpu = 0 })

at(us(20), function()
  local U1 = KeInitializeApc { thread = T1, name = "U1", mode = "UserMode",
    normal_routine = function() rec("U1@" .. now() // 1000) end }
  expect(KeInsertQueueApc(U1), "U1 queued")
  local s = state(T1)
  expect(s.state == "Waiting" and s.wait_reason == "Suspended" and not s.UserApcPending,
         "no wake for a user APC: the suspend wait is KernelMode, not alertable (S6, I8)")
  rec("U1-queued")
end, { cpu = 0 })

at(us(50), function()
  rec("resume")
  expect(KeResumeThread(T1) == 1, "resume returns 1")
end, { cpu = 0 })
