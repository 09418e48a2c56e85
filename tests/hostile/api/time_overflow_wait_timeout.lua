-- A wait whose timeout (math.maxinteger ns, ~292 years) overflows now +
-- timeout. It must be refused, or wait (practically) forever - never time
-- out at once.
-- expect-exit: 0|3
machine { cpus = 1 }
local e = event { name = "e" }
thread { name = "T", system = true, body = function()
  compute(ms(1))
  local st = KeWaitForSingleObject(e, { timeout = math.maxinteger })
  expect(false, "a wait of math.maxinteger ns returned " .. st .. " at " .. now() .. " ns")
end }
