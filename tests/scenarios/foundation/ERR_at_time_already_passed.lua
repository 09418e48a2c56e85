-- ERR_at_time_already_passed: at(t) with a t before now is a scenario error
-- at the call's line that says at() takes a simulated time (a delay from now
-- is at(now() + d, ...)); at() takes only {cpu} (count and start are
-- every()'s).
-- expect-exit: 3
-- expect-stderr: ERR_at_time_already_passed.lua:12: at(500000): that time has passed (now is 1000000 ns): at() takes a simulated time
machine { cpus = 1 }
thread { name = "t", system = true, body = function()
  KeDelayExecutionThread("KernelMode", false, ms(1))
  local ok, err = pcall(at, ms(5), function() end, { count = 2 })
  expect(not ok and string.find(err, "unknown field 'count'", 1, true), "at() refuses every()'s count: " .. tostring(err))
  at(us(500), function() end)
end }
