-- S4 - KeForceResumeThread (SEMANTICS.md 1.I; rules S4, S5, S2, S3, S6).
--
-- S4: "KeForceResumeThread(T) returns Susp + Freeze; if non-zero, sets both to 0 and
-- releases the semaphore once." S5: "Freeze (KeFreezeAllThreads/KeThawAllThreads,
-- debugger) uses Freeze with the same APC/semaphore". S5 has no scenario API (no
-- freeze call and no FreezeCount in state()), so Freeze is 0 throughout: this test
-- checks the Susp half of "sets both to 0" and that one semaphore release wakes the
-- thread whatever the count was.
--
-- T1 (user code, CPU 1) is suspended three times; KeForceResumeThread returns 3,
-- the count is 0 and T1 runs again at once; a second KeForceResumeThread returns 0
-- and does nothing; KeResumeThread then returns 0 (S3).
machine { cpus = 2 }

local app = process { name = "app" }
local T1
T1 = thread { name = "T1", process = app, affinity = 2, body = function()
  compute(us(100))
  expect(now() == us(150), "100 us of work + 50 us suspended: " .. now())
end }

at(us(10), function()
  expect(KeSuspendThread(T1) == 0 and KeSuspendThread(T1) == 1 and KeSuspendThread(T1) == 2, "S2 counts 0, 1, 2")
end, { cpu = 0 })

at(us(60), function()
  local s = state(T1)
  expect(s.state == "Waiting" and s.wait_reason == "Suspended" and s.SuspendCount == 3, "suspended, count 3")
  expect(KeForceResumeThread(T1) == 3, "S4: returns Susp + Freeze = 3")
  s = state(T1)
  expect(s.SuspendCount == 0, "S4: count set to 0")
  expect(s.state ~= "Waiting", "S4: one semaphore release wakes T1")
  expect(KeForceResumeThread(T1) == 0, "S4: a second call returns 0")
  expect(KeResumeThread(T1) == 0, "S3: nothing left to resume")
end, { cpu = 0 })
