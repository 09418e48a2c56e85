-- C24 case B - Increment 0: no boost, the woken thread waits for the CPU
-- (SEMANTICS.md 2, C24; rules I9, K4, K5).
--
-- Case: "... CPU busy with T4 at prio 9. ... Case B: Increment 0 -> Prio 8, T1
-- waits for the CPU."
-- T4 computes 5 ms then ends; T1's APC routine runs only then. K4 quantum part:
-- no reset (increment 0), one unit charged for the wait (not STATUS_KERNEL_APC),
-- so T1's quantum goes 6 -> 5 (checked through state().quantum, a field apcsim
-- exposes beyond the documented list).
machine { cpus = 1 }

local T1, T4
local t4_end

T1 = thread { name = "T1", priority = 8, body = function()
  local r = SleepEx(INFINITE, true)
  expect(r == "WAIT_IO_COMPLETION", "woken by the user APC: " .. tostring(r))
end }

T4 = thread { name = "T4", system = true, priority = 9, start_at = us(10), body = function()
  compute(ms(5))
  t4_end = now()
end }

at(us(100), function()
  local a = KeInitializeApc { thread = T1, name = "U1", mode = "UserMode",
    normal_routine = function()
      expect(t4_end ~= nil and now() == t4_end, "T1 ran only when T4 was done (no preemption)")
      local s = state(T1)
      expect(s.priority == 8, "priority 8 (no boost): " .. s.priority)
      expect(s.quantum == 5, "quantum 6 -> 5: charged one unit, not reset (K4): " .. tostring(s.quantum))
    end }
  expect(state(T1).quantum == 6, "T1 waits with a full quantum")
  expect(KeInsertQueueApc(a, nil, nil, 0) == true, "insert with Increment 0")
  local s = state(T1)
  expect(s.priority == 8, "T1 readied at priority 8 (K4)")
  expect(s.state == "Ready", "T1 is Ready, not Standby: T4 (9) keeps the CPU: " .. s.state)
end)
