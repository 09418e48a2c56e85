-- T5 - timer rundown: PspExitThread cancels the timers whose expiry APC targets
-- the exiting thread (ExTimerRundown: KeCancelTimer, and the APC removed if it
-- is queued), before KeRundownThread. A periodic SetWaitableTimer with a
-- completion routine therefore stops when its thread ends; a timer whose APC
-- targets another thread keeps running (SEMANTICS.md 1.H T5).
--
-- T sets TM (1 ms, period 1 ms) and sleeps alertably until 2.5 ms: its completions run
-- at 1 ms and 2 ms, then T ends. U sets TM2 the same way and sleeps on. At 4 ms
-- TM is no longer set (KeCancelTimer returns FALSE) and ran twice; TM2 still is.
machine { cpus = 1 }
local app = process { name = "app" }
local TM = timer { name = "TM" }
local TM2 = timer { name = "TM2" }
local runs, runs2 = 0, 0
local T = thread { name = "T", process = app, body = function()
  SetWaitableTimer(TM, 1, 1, function() runs = runs + 1 end)
  while now() < us(2500) do SleepEx((us(2500) - now()) / ms(1), true) end
end }
thread { name = "U", process = app, body = function()
  SetWaitableTimer(TM2, 1, 1, function() runs2 = runs2 + 1 end)
  while now() < ms(5) do SleepEx(5, true) end
  CancelWaitableTimer(TM2)
end }
at(ms(4), function()
  expect(state(T).state == "Terminated", "T has ended")
  expect(runs == 2, "T's completion ran at 1 ms and 2 ms only: " .. runs)
  expect(KeCancelTimer(TM) == false, "TM was cancelled by T's exit (timer rundown, T5)")
  expect(KeCancelTimer(TM2) == true, "TM2, whose APC targets U, is still set")
  expect(runs2 >= 3, "U's completions ran on: " .. runs2)
end)
