-- C24 case C - Real-time thread: no boost, quantum reset (SEMANTICS.md 2, C24; rules I9, K4).
--
-- Case: "Case C: T1 real-time (24) -> Prio unchanged, quantum reset."
-- T1 (priority 24) computes 20 ms first, so one clock tick (3 units) is charged
-- to its quantum (6 -> 3), then waits alertably. A DPC at 25 ms queues it a user
-- APC with Increment 2: priority stays 24, quantum back to 6. (quantum is read
-- through state().quantum, a field apcsim exposes beyond the documented list.)
machine { cpus = 1 }

local T1
T1 = thread { name = "T1", priority = 24, body = function()
  compute(ms(20))
  expect(state(T1).quantum == 3, "one tick charged 3 units: " .. tostring(state(T1).quantum))
  local r = SleepEx(INFINITE, true)
  expect(r == "WAIT_IO_COMPLETION", "woken by the user APC: " .. tostring(r))
end }

thread { name = "T4", system = true, priority = 9, start_at = us(10), body = function()
  compute(ms(40))
end }

at(ms(25), function()
  local a = KeInitializeApc { thread = T1, name = "U1", mode = "UserMode",
    normal_routine = function()
      expect(now() == ms(25), "T1 (24) preempted T4 at once")
      expect(state(T1).priority == 24, "still 24 in the APC")
    end }
  expect(KeInsertQueueApc(a, nil, nil, 2) == true, "insert with Increment 2")
  local s = state(T1)
  expect(s.priority == 24, "real-time priority unchanged by the Increment (K4): " .. s.priority)
  expect(s.quantum == 6, "quantum reset (K4): " .. tostring(s.quantum))
end)
