-- T1 is inside user APC U1's routine (after an alertable SleepEx) when a user-mode alert
-- arrives (T1 is not waiting, so Alerted[UserMode] = TRUE, AL2). U2 is queued behind.
-- D4/D6/AL5: NtContinue(TestAlert) calls KeTestAlertThread(UserMode), which consumes
-- Alerted[U] instead of arming UAP, so U2 does NOT run on this return to user mode.
machine { cpus = 2 }
local app = process { name = "app.exe" }
local T1
T1 = thread { name = "T1", process = app, affinity = 2, body = function()
  local r = SleepEx(INFINITE, true)
  mark("SleepEx=" .. tostring(r))
  compute(us(100))
  mark("T1 user code continues")
  local r2 = SleepEx(0, true)
  mark("SleepEx2=" .. tostring(r2))
end }
at(us(10), function()
  local U1 = KeInitializeApc { thread = T1, name = "U1", mode = "UserMode",
    normal_routine = function() mark("NR_U1 begin"); compute(us(50)); mark("NR_U1 end") end }
  local U2 = KeInitializeApc { thread = T1, name = "U2", mode = "UserMode",
    normal_routine = function() mark("NR_U2") end }
  expect(KeInsertQueueApc(U1), "U1")
  expect(KeInsertQueueApc(U2), "U2")
end)
at(us(30), function() KeAlertThread(T1, "UserMode") end)
