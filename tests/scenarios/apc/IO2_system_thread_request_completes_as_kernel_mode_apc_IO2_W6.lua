-- IO2 - the completion APC takes the requestor mode: a request made by a system
-- thread (PreviousMode KernelMode, a driver's ZwReadFile with an ApcRoutine) has
-- its completion routine queued as a normal kernel APC, which runs at
-- PASSIVE_LEVEL in kernel mode without any alertable wait (W6: a kernel APC is
-- delivered during a non-alertable kernel-mode wait, and the wait continues).
-- A user thread's request keeps the user APC of C21 (IO3). apcsim's reading:
-- a system thread's IRP is a kernel-mode request, any other thread's is a
-- user-mode one (irp{} has no mode field; SCENARIO_API calls the routine
-- "ReadFileEx style").
machine { cpus = 1 }
local ran_at, ran_mode, ran_irql, ran_args
local T = thread { name = "T", system = true, body = function()
  local r = KeDelayExecutionThread("KernelMode", false, ms(2))
  expect(r == "STATUS_SUCCESS" and now() == ms(2), "the delay continued to its end (W6): " .. r .. " at " .. now())
end }
local rq = irp { thread = T, completion = function(err, bytes, which)
  ran_at, ran_mode, ran_irql = now(), current_mode(), current_irql()
  ran_args = tostring(err) .. "," .. tostring(bytes)
end }
at(us(100), function() IoCompleteRequest(rq, 1) end)
at(us(500), function()
  expect(ran_at == us(100), "the completion ran when the IRP completed, at 100 us: " .. tostring(ran_at))
  expect(ran_mode == "KernelMode" and ran_irql == 0, "as a normal kernel APC: kernel mode, PASSIVE_LEVEL: "
         .. tostring(ran_mode) .. " " .. tostring(ran_irql))
  expect(ran_args == "0,0", "called (dwErrorCode, dwNumberOfBytesTransfered, irp): " .. tostring(ran_args))
  local s = state(T)
  expect(#s.user_queue == 0 and #s.kernel_queue == 0 and s.state == "Waiting", "nothing left queued, T waits on")
end)
