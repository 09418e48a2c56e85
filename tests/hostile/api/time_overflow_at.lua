-- at(math.maxinteger) from running code: now + t overflows; the callback
-- must not fire at once.
-- expect-exit: 0|3
machine { cpus = 1 }
local fired = false
thread { name = "T", system = true, body = function()
  compute(ms(1))
  at(math.maxinteger, function() fired = true end)
  KeDelayExecutionThread("KernelMode", false, ms(1))
  expect(not fired, "at(math.maxinteger) fired at " .. now() .. " ns")
end }
