-- Every thread operation on a thread that has terminated: refused or a
-- no-op with NT's result, never a crash.
-- expect-exit: 0
machine { cpus = 1 }
local D = thread { name = "D", system = true, body = function() end }
thread { name = "T", system = true, start_at = ms(1), body = function()
  expect(state(D).state == "Terminated", "D terminated")
  local a = KeInitializeApc { thread = D, name = "late", normal_routine = function() end }
  expect(KeInsertQueueApc(a) == false, "insert into a dead thread (T6)")
  KeSuspendThread(D)
  KeResumeThread(D)
  KeAlertThread(D, "KernelMode")
  KeAlertResumeThread(D)
  PsTerminateThread(D, 5)
  expect(#KeFlushQueueApc(D, "UserMode") == 0, "flush of a dead thread")
  expect(KeWaitForSingleObject(D) == "STATUS_WAIT_0", "a dead thread is signaled")
  expect(state(D).state == "Terminated", "still terminated")
end }
