-- Fuzz finding E (FIXED; apcsim crash, win10 profile; seeds 4111, 27221: exit 134, SIGABRT).
--
-- T is in a system call when another thread terminates it (T2: the exit APC
-- runs its kernel phase and becomes a user APC at the head of the user list,
-- UserApcPending set). A DPC then queues T a special user APC whose routine
-- calls ExitThread. On the way out of the system call the special APC is taken
-- first (SU2) and its routine ends the thread itself (T1) while the exit APC
-- is still queued. apcsim then resumes a routine frame whose Lua call record
-- is gone: lua_getfield on nil in rt_push_entry (src/lua/runtime.c, case
-- RtNormalRoutine/RtUserApcNormal), an unprotected Lua error, abort().
-- Without the ExitThread, or with a regular user APC (nt52), it runs fine.
--
-- Expected: no crash; T ends once (exit status 13 from ExitThread, or 73 if
-- the exit APC is taken first - either is a defensible reading of SU2), the
-- run ends with exit 0.
machine { cpus = 2, profile = "win10" }
local T
T = thread { name = "T", affinity = 1, body = function()
  syscall("NtWork", function() compute(us(100)) end)
  expect(false, "T went on after being terminated")
end }
thread { name = "K", system = true, affinity = 2, start_at = us(10), body = function()
  PsTerminateThread(T, 73)
end }
at(us(20), function()
  NtQueueApcThreadEx(T, QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC, function() ExitThread(13) end)
end, { cpu = 1 })
