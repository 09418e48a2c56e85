-- T1 sits in an alertable user-mode SleepEx; it is suspended at 10 us (the suspend NK wakes it
-- with STATUS_KERNEL_APC and KiSuspendThread waits KernelMode, non-alertable, KAIP = TRUE).
-- At 20 us a user APC U1 and a normal kernel APC N1 are queued; resumed at 50 us.
-- Expected (S6): N1 waits for the resume (KAIP); U1 is held by the suspension: after the
-- resume the SleepEx re-waits, W2b finds U1 and it runs.
machine { cpus = 2, profile = param("profile", "nt52") }
local app = process { name = "app.exe" }
local T1
T1 = thread { name = "T1", process = app, affinity = 2, body = function()
  local r = SleepEx(INFINITE, true)
  mark("SleepEx=" .. tostring(r))
end }
at(us(10), function() KeSuspendThread(T1) end)
at(us(20), function()
  local U1 = KeInitializeApc { thread = T1, name = "U1", mode = "UserMode",
    normal_routine = function() mark("NR_U1") end }
  expect(KeInsertQueueApc(U1), "U1")
  local N1 = KeInitializeApc { thread = T1, name = "N1", normal_routine = function() mark("NR_N1") end }
  expect(KeInsertQueueApc(N1), "N1")
end)
at(us(50), function() KeResumeThread(T1) end)
