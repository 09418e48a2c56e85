-- KeLeaveCriticalRegion / KeLeaveGuardedRegion without entering: a mistake
-- of the scenario (a positive disable count), to be reported as a scenario
-- error or a bugcheck - not as an internal apcsim bug (exit 5).
-- expect-exit: 3|4
-- expect-stderr: api/leave_region_not_entered.lua:8:
machine { cpus = 1 }
thread { name = "T", system = true, body = function()
  KeLeaveCriticalRegion()
  KeLeaveGuardedRegion()
  compute(us(1))
end }
