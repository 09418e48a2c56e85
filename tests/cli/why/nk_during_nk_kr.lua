-- A normal kernel APC N0 whose KernelRoutine runs 40 us; N1 is queued meanwhile and runs after
-- N0's NormalRoutine (D3). win10 sets KernelApcInProgress already during the KR (D3 [DIFF]).
machine { cpus = 2, profile = param("profile", "nt52") }
local T1
T1 = thread { name = "T1", system = true, affinity = 2, body = function() compute(us(200)) end }
at(us(10), function()
  local S1 = KeInitializeApc { thread = T1, name = "N0", normal_routine = function() mark("NR_N0") end,
    kernel_routine = function() mark("KR_S1 begin"); compute(us(40)); mark("KR_S1 end") end }
  expect(KeInsertQueueApc(S1), "S1")
end)
at(us(20), function()
  local N1 = KeInitializeApc { thread = T1, name = "N1", normal_routine = function() mark("NR_N1") end }
  expect(KeInsertQueueApc(N1), "N1")
end)
