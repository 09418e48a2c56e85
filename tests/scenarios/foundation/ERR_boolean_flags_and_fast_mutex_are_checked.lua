-- ERR_boolean_flags_and_fast_mutex_are_checked: a BOOLEAN argument takes
-- true, false or nil ("no" made KeDelayExecutionThread alertable), and
-- KeAcquireFastMutex takes a fast_mutex{} (a KMUTEX was accepted and the
-- mistake only showed at the release, in KeSetEvent). Each is a scenario
-- error at the caller's line; the last one here ends the run.
-- expect-exit: 3
-- expect-stderr: are_checked.lua:20: KeAcquireFastMutex: argument #1: expected a fast mutex (made by fast_mutex{}), got m
machine { cpus = 1 }
local e = event { name = "e" }
local m = mutex { name = "m" }
thread { name = "k", system = true, body = function()
  local ok, err = pcall(KeDelayExecutionThread, "KernelMode", "no", 10)
  expect(not ok and string.find(err, "alertable): expected true, false or nil, got string", 1, true), tostring(err))
  ok, err = pcall(KeSetEvent, e, 0, 1)
  expect(not ok and string.find(err, "KeSetEvent: argument #3 (wait)", 1, true), tostring(err))
  ok, err = pcall(NtWaitForSingleObject, e, "yes", 0)
  expect(not ok and string.find(err, "alertable must be true, false or nil, got string", 1, true), tostring(err))
  expect(KeDelayExecutionThread("KernelMode", nil, 10) == "STATUS_SUCCESS", "nil is FALSE")
  mark("checked")
  KeAcquireFastMutex(m)
end }
