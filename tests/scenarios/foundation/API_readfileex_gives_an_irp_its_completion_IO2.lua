-- API_readfileex_gives_an_irp_its_completion_IO2: ReadFileEx(irp, fn) on an
-- irp{} made without a completion routine makes fn its completion routine
-- (SCENARIO_API: ReadFileEx(irp_or_device, completion)): it runs as a user
-- APC when the driver completes the request (IO2). fn used to be dropped.
machine { cpus = 1 }
local app = process { name = "app.exe" }
local u, rq
local ran = false
u = thread { name = "u", process = app, body = function()
  local ok, r = ReadFileEx(rq, function(err, n, irp) ran = irp == rq end)
  expect(ok and r == rq, "ReadFileEx returns TRUE and the IRP")
  expect(SleepEx(5, true) == "WAIT_IO_COMPLETION", "the completion ended the alertable sleep")
  expect(ran, "the routine given to ReadFileEx ran, with the IRP")
end }
rq = irp { thread = u, name = "rq" }
at(ms(1), function() IoCompleteRequest(rq, 0) end)
