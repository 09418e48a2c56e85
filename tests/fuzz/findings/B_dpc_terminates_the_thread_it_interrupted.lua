-- Fuzz finding B (FIXED; apcsim bug; seeds 4, 13, 33, ... exit 5; with an attached target exit 4).
--
-- An at() callback is a DPC that runs in the context of whatever thread its CPU
-- was running. When it calls PsTerminateThread on exactly that thread (one CPU,
-- the worker computing: the most natural "terminate the worker at t" scenario),
-- PsTerminateThread sees t == current thread and takes the self-termination path
-- (T1: push FRAME_EXIT_THREAD), from inside the DPC. The run then stops with an
-- internal invariant: "CPU 0 runs a DPC at IRQL 0 (R10)". If the interrupted
-- thread is attached (KeAttachProcess in a system call), the same path bugchecks
-- INVALID_PROCESS_ATTACH_ATTEMPT (exit 4) instead - see the second half of the
-- fuzz reports of that kind (e.g. seed 1015, 9).
--
-- Expected (T2): a DPC is not the thread's own code, so this is a cross-thread
-- termination: the exit APC is queued, the DPC returns, the worker dies at its
-- next APC delivery (here at once, when IRQL drops below DISPATCH_LEVEL) with
-- exit status 3, and never reaches the mark "after".
machine { cpus = 1 }
local T
T = thread { name = "T", body = function()
  compute(us(100))
  mark("after")
  expect(false, "the terminated thread went on running")
end }
at(us(50), function()
  expect(current_thread() == T, "the DPC interrupted T")
  PsTerminateThread(T, 3)
end)
at(us(200), function()
  local s = state(T)
  expect(s.state == "Terminated" and s.exit_status == 3, "T terminated with status 3: " .. s.state)
end)
