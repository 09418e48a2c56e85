-- C24 - Boosted priority never exceeds 15 (SEMANTICS.md 2, C24; rules K4, I9).
--
-- Case: "... Boosted priority never exceeds 15."
-- K4: "candidate = Base + Increment (+ foreground separation), clamped to 15".
-- T1 dynamic base 12 in an alertable wait; a user APC inserted with Increment 8
-- (e.g. a sound driver's boost): candidate 20 -> clamped to 15.
machine { cpus = 1 }

local T1
T1 = thread { name = "T1", priority = 12, body = function()
  local r = SleepEx(INFINITE, true)
  expect(r == "WAIT_IO_COMPLETION", "woken by the user APC")
end }

at(us(100), function()
  local a = KeInitializeApc { thread = T1, name = "U1", mode = "UserMode",
    normal_routine = function() expect(state(T1).priority == 15, "runs at 15") end }
  expect(KeInsertQueueApc(a, nil, nil, 8) == true, "insert with Increment 8")
  local s = state(T1)
  expect(s.priority == 15, "12 + 8 clamped to 15 (K4): " .. s.priority)
  expect(s.base_priority == 12, "base unchanged")
end)
