-- win10: "waiter" is in a non-alertable user-mode wait on E.  A regular user APC U4 and then a
-- special user APC F3 are queued to it (SU2: the special one goes ahead of regular ones).
-- E is set at 200 us: F3 runs as the wait returns to user mode (SU1); U4 stays queued until the
-- waiter's alertable SleepEx at 300 us.
machine { cpus = 2, profile = "win10" }
local app = process { name = "app.exe" }
local E = event { name = "E" }
local waiter
waiter = thread { name = "waiter", process = app, affinity = 2, body = function()
  local r = WaitForSingleObject(E, INFINITE)
  mark("wait=" .. r)
  compute(us(100))
  local r2 = SleepEx(0, true)
  mark("SleepEx=" .. tostring(r2))
end }
thread { name = "sender", process = app, affinity = 1, start_at = us(100), body = function()
  expect(QueueUserAPC(function() mark("U4") end, waiter, "U4"), "U4")
  local st = NtQueueApcThreadEx(waiter, QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC, function() mark("F3") end, "F3")
  mark("queued " .. tostring(st))
end }
at(us(200), function() KeSetEvent(E, 0) end)
