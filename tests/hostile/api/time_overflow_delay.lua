-- The same with KeDelayExecutionThread.
-- expect-exit: 0|3
machine { cpus = 1 }
thread { name = "T", system = true, body = function()
  compute(ms(1))
  local st = KeDelayExecutionThread("KernelMode", false, math.maxinteger)
  expect(false, "a delay of math.maxinteger ns returned " .. st .. " at " .. now() .. " ns")
end }
