-- A user APC queued to a system thread (accepted, SCENARIO_API.md 1): the thread never returns
-- to user mode, so the APC never runs and is run down when the thread ends (T5), even though
-- the thread later makes an alertable UserMode wait (W2b arms UAP, D4 never reached).
machine { cpus = 2 }
local T1
T1 = thread { name = "T1", system = true, affinity = 2, body = function()
  compute(us(50))
  local st = KeDelayExecutionThread("UserMode", true, us(10))
  mark("delay=" .. st)
  compute(us(50))
end }
at(us(10), function()
  local U1 = KeInitializeApc { thread = T1, name = "U1", mode = "UserMode",
    normal_routine = function() mark("NR_U1") end, rundown_routine = function() mark("RR_U1") end }
  expect(KeInsertQueueApc(U1), "U1")
end)
