-- SU1b - a special user APC queued to a thread that was preempted in user mode runs
-- when it is next dispatched (SEMANTICS.md 1.L; rules SU1b, SU1, K5).
--
-- SU1b: "A thread that was preempted or interrupted while running user code (Ready
-- or Standby) and has a special user APC queued runs it when it is next dispatched,
-- before its user code continues."
--
-- 1 CPU, win10. T1 (priority 8) computes 100 us of user code. At 20 us T5 (priority
-- 10) starts, preempts T1 (K5: T1 is Ready), queues special F to T1, works 30 us and
-- ends at 50 us. T1 is dispatched at 50 us: F runs first (10 us), then T1's
-- remaining 80 us of user code: T1 finishes at 140 us.
-- args: --profile win10
machine { cpus = 1 }
expect(current_profile() == "win10", "run with --profile win10")

local app = process { name = "app" }
local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end

local T1
T1 = thread { name = "T1", process = app, priority = 8, body = function()
  compute(us(100))
  rec("T1-done@" .. now() // 1000)
  expect(joined(log) == "queued F@50/UserMode T1-done@140", "F ran when T1 was dispatched, before its code: "
         .. joined(log))
end }

thread { name = "T5", process = app, priority = 10, start_at = us(20), body = function()
  expect(state(T1).state == "Ready", "T1 was preempted in user mode (K5): " .. state(T1).state)
  expect(QueueUserAPC2(function()
    rec("F@" .. now() // 1000 .. "/" .. current_mode())
    compute(us(10))
  end, T1, nil, QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC), "F accepted (win10)")
  expect(state(T1).state == "Ready", "the special APC does not make T1 run before T5 yields the CPU")
  rec("queued")
  compute(us(30))
end }
