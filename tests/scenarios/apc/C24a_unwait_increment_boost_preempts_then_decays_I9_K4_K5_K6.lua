-- C24 case A - Priority effect of the insertion Increment: boost, preemption,
-- decay (SEMANTICS.md 2, C24; rules I9, K4, K5, K6, K1).
--
-- Case: "T1 dynamic Base 8, Prio 8, PrioDec 0, background, in an alertable
-- UserMode wait; CPU busy with T4 at prio 9. Case A: user APC inserted with
-- Increment 2 -> T1 readied at Prio 10 (8 + 2), preempts T4; priority then
-- decays by one per quantum end back to 8."
-- 1 CPU, default clock tick 15.625 ms and quantum 6 units (3 per tick). The
-- insertion is made by a DPC at 100 us (running in T4's context). T1 then
-- computes ~100 ms in 1 ms slices and records every priority it sees while
-- running; T4 needs 40 ms of CPU in total, so T1 also runs after its second
-- decay. Expected sequence seen by T1: 10, 9, 8 (never below Base 8).
-- In the trace: each drop of the boosted priority happens at one of T1's quantum ends
-- (K4, K6: priority decays by one per quantum end).
-- expect-dump-order: 31250000 0 T1 QUANTUM_END priority=10
-- expect-dump-order: 31250000 0 T1 PRIORITY from=10 to=9 reason=quantum-decay
-- expect-dump-order: 93750000 0 T1 QUANTUM_END priority=9
-- expect-dump-order: 93750000 0 T1 PRIORITY from=9 to=8 reason=quantum-decay
machine { cpus = 1 }

local T1, T4
local seen = {}

T1 = thread { name = "T1", priority = 8, body = function()
  local r = SleepEx(INFINITE, true)
  expect(r == "WAIT_IO_COMPLETION", "woken by the user APC: " .. tostring(r))
  for _ = 1, 110 do
    local p = state(T1).priority
    if seen[#seen] ~= p then seen[#seen + 1] = p end
    compute(ms(1))
  end
  local got = table.concat(seen, " ")
  expect(got == "10 9 8", "T1's priority decays one per quantum end back to its base (K4, K6): " .. got)
  expect(state(T1).base_priority == 8, "base unchanged")
end }

T4 = thread { name = "T4", system = true, priority = 9, start_at = us(10), body = function()
  compute(ms(40))
end }

at(us(100), function()
  expect(current_thread() == T4, "the DPC interrupts T4")
  local a = KeInitializeApc { thread = T1, name = "U1", mode = "UserMode",
    normal_routine = function()
      expect(now() == us(100), "T1 ran at once: it preempted T4 (K5)")
      expect(state(T1).priority == 10, "running at priority 10 in the APC")
    end }
  expect(KeInsertQueueApc(a, nil, nil, 2) == true, "insert with Increment 2")
  local s = state(T1)
  expect(s.priority == 10, "T1 readied at priority 8 + 2 = 10 (K4): " .. s.priority)
  expect(s.state == "Standby", "T1 (10 > 9) becomes the standby thread, preempting T4 (K5): " .. s.state)
end)
