-- S2 - a thread created suspended (thread{suspended = true}, CREATE_SUSPENDED)
-- (SEMANTICS.md 1.I; rules S2, S3, S1, K2).
--
-- SCENARIO_API: "suspended=true creates it suspended (suspend count 1, as
-- CREATE_SUSPENDED)". S2: the first suspend inserts the suspend APC; it is
-- delivered as the new thread's start-up lowers IRQL to PASSIVE (K2: a new thread
-- starts "as if switched out at APC_LEVEL"), so the body does not start: the thread
-- waits with reason Suspended (S1). S3: the resume that brings the count to 0 lets
-- it run. A second suspend before the resume is counted (2), as usual.
machine { cpus = 1 }

local app = process { name = "app" }
local started_at
local T1 = thread { name = "T1", process = app, suspended = true, body = function()
  started_at = now()
end }

thread { name = "T2", process = app, priority = 9, start_at = us(10), body = function()
  local s = state(T1)
  expect(s.SuspendCount == 1, "created with count 1")
  expect(s.state == "Waiting" and s.wait_reason == "Suspended", "T1 stopped in KiSuspendThread before its body: "
         .. s.state .. " " .. tostring(s.wait_reason))
  expect(started_at == nil, "the body has not started")
  local n = SuspendThread(T1)
  expect(n == 1 and state(T1).SuspendCount == 2, "SuspendThread returns 1 (S2)")
  Sleep(0.01)
  expect(ResumeThread(T1) == 2 and state(T1).state == "Waiting", "ResumeThread returns 2; still suspended (S3)")
  expect(ResumeThread(T1) == 1, "ResumeThread returns 1: T1 may run (S3)")
  expect(WaitForSingleObject(T1, INFINITE) == "WAIT_OBJECT_0", "T1 ends")
  expect(started_at == us(20), "the body started at the resume (20 us): " .. tostring(started_at))
end }
