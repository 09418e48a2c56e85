-- ERR_readfileex_and_terminatethread_check_their_arguments: a value that is
-- not an IRP given to ReadFileEx, another completion routine for an IRP that
-- has one, and TerminateThread(nil) (which used to end the calling thread)
-- are scenario errors; the last one here ends the run at its line.
-- expect-exit: 3
-- expect-stderr: check_their_arguments.lua:18: TerminateThread: argument #1: expected a thread, got nil
machine { cpus = 1 }
local app = process { name = "app.exe" }
local u
u = thread { name = "u", process = app, body = function()
  local ok, err = pcall(ReadFileEx, "disk", function() end)
  expect(not ok and string.find(err, "expected an IRP, got string", 1, true), "ReadFileEx(\"disk\"): " .. tostring(err))
  local rq = irp { thread = u, name = "rq", completion = function() end }
  ok, err = pcall(ReadFileEx, rq, function() end)
  expect(not ok and string.find(err, "already has a completion routine", 1, true), "another routine: " .. tostring(err))
  expect(pcall(ReadFileEx, rq, nil), "nil keeps the IRP's own routine")
  mark("still running")
  TerminateThread(nil, 3)
end }
