-- IoCompleteRequest on an IRP that was completed already.
-- expect-exit: 3
-- expect-stderr: scenario error: api/complete_irp_twice.lua:10: IoCompleteRequest(rd): the IRP was completed already
machine { cpus = 1 }
local T
T = thread { name = "T", body = function() SleepEx(100, true) end }
local rq = irp { thread = T, name = "rd", completion = function() end }
at(ms(1), function()
  IoCompleteRequest(rq)
  IoCompleteRequest(rq)
end)
