-- C24 - A dynamic thread with Base >= 14 gets no boost (SEMANTICS.md 2, C24; rule K4).
--
-- K4: "Dynamic thread with Base >= 14 -> quantum reset only." T1 base 14 waits
-- alertably after computing 20 ms (one tick: quantum 6 -> 3); a user APC with
-- Increment 2 wakes it: priority stays 14, quantum reset to 6. (quantum is read
-- through state().quantum, a field apcsim exposes beyond the documented list.)
machine { cpus = 1 }

local T1
T1 = thread { name = "T1", priority = 14, body = function()
  compute(ms(20))
  expect(state(T1).quantum == 3, "one tick charged: " .. tostring(state(T1).quantum))
  SleepEx(INFINITE, true)
end }

at(ms(25), function()
  local a = KeInitializeApc { thread = T1, name = "U1", mode = "UserMode", normal_routine = function() end }
  expect(KeInsertQueueApc(a, nil, nil, 2) == true, "insert with Increment 2")
  local s = state(T1)
  expect(s.priority == 14, "no boost for Base >= 14 (K4): " .. s.priority)
  expect(s.quantum == 6, "quantum reset (K4): " .. tostring(s.quantum))
end)
