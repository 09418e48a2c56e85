-- A user thread computing in user mode gets a user APC at 20 us: nothing delivers it until the
-- thread waits alertably in user mode (W2, D4-D6); its SleepEx at 100 us returns
-- WAIT_IO_COMPLETION at once after running it.
machine { cpus = 1 }
local app = process { name = "app.exe" }
local T1
T1 = thread { name = "T1", process = app, body = function()
  compute(us(100))
  local r = SleepEx(1000, true)
  expect(r == "WAIT_IO_COMPLETION", "SleepEx returns WAIT_IO_COMPLETION, got " .. tostring(r))
end }
at(us(20), function()
  expect(KeInsertQueueApc(KeInitializeApc { thread = T1, name = "U1", mode = "UserMode",
    normal_routine = function() mark("NR_U1") end }), "U1 inserted")
end)
