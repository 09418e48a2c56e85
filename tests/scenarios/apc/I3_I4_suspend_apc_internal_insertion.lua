-- I3: the kernel's own insertions (the suspend APC) use the inner routine:
-- increment 0, no system arguments; I4: a normal kernel APC goes to the
-- kernel list of ApcStatePointer[Original] - visible while the target has
-- not run yet (Ready: only KernelApcPending, I8).
machine { cpus = 1 }
local w = thread { name = "w", priority = 4, body = function() compute(ms(1)) end }
thread { name = "ctl", system = true, priority = 10, body = function()
  expect(KeSuspendThread(w) == 0, "S2: previous count 0")
  local s = state(w)
  expect(s.kernel_queue[1] == "w.SuspendApc", "I3/I4: the suspend APC in w's kernel list")
  expect(s.KernelApcPending and s.state == "Ready", "I8: Ready target: KernelApcPending only")
  expect(KeResumeThread(w) == 1, "S3")
end }
