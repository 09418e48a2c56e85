-- T1 in an alertable SleepEx gets user APC U1 at 10 us whose KernelRoutine computes 40 us at
-- APC_LEVEL (user phase, D4); N1 (normal kernel APC) is inserted at 20 us.  The D3 loop has
-- already finished for this KiDeliverApc(User) call: N1 is delivered by the APC interrupt
-- requested at insertion (I8) once IRQL drops below APC_LEVEL (R1), not "next in the loop".
machine { cpus = 2 }
local app = process { name = "app.exe" }
local T1
T1 = thread { name = "T1", process = app, affinity = 2, body = function()
  local r = SleepEx(INFINITE, true)
  mark("SleepEx=" .. tostring(r))
end }
at(us(10), function()
  local U1 = KeInitializeApc { thread = T1, name = "U1", mode = "UserMode",
    kernel_routine = function() mark("KR_U1 begin"); compute(us(40)); mark("KR_U1 end") end,
    normal_routine = function() mark("NR_U1") end }
  expect(KeInsertQueueApc(U1), "U1")
end)
at(us(20), function()
  local N1 = KeInitializeApc { thread = T1, name = "N1", normal_routine = function() mark("NR_N1") end }
  expect(KeInsertQueueApc(N1), "N1")
end)
