-- API_at_takes_a_simulated_time: at(t, fn) runs fn at simulated time t
-- (SCENARIO_API: "at simulated time t"), also when it is called while the
-- run is going: a thread that calls at(ms(2), ...) at 1 ms gets its DPC at
-- 2 ms, not at 3 ms; at(now() + d, ...) is the delay form. every() keeps
-- its period from now.
machine { cpus = 1 }
local fired = {}
thread { name = "t", system = true, body = function()
  KeDelayExecutionThread("KernelMode", false, ms(1))
  at(ms(2), function() fired[#fired + 1] = "abs@" .. now() end)
  at(now() + ms(3), function() fired[#fired + 1] = "rel@" .. now() end)
  every(ms(1), function() fired[#fired + 1] = "every@" .. now() end, { count = 2 })
end }
at(ms(10), function()
  local got = table.concat(fired, " ")
  expect(got == "abs@2000000 every@2000000 every@3000000 rel@4000000", "at() absolute, now()+d relative: " .. got)
end)
