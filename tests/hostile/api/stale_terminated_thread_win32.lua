-- The Win32 layer on a thread that has ended.
-- expect-exit: 0
machine { cpus = 1 }
local D = thread { name = "D", body = function() end }
thread { name = "T", start_at = ms(1), body = function()
  expect(QueueUserAPC(function() end, D, 1) == false, "QueueUserAPC to a dead thread")
  expect(SuspendThread(D) == -1, "SuspendThread of a dead thread")
  expect(ResumeThread(D) == 0, "ResumeThread of a dead thread")
  TerminateThread(D, 3)
  expect(WaitForSingleObject(D, 0) == "WAIT_OBJECT_0", "wait on a dead thread")
end }
