-- Scenario code that computes for seconds without yielding (run with a
-- raised --instruction-budget, as a heavy scenario would be).
machine { cpus = 1 }
thread { name = "T", system = true, body = function()
  compute(us(10))
  local x = 0
  for i = 1, 300000000 do x = x + i end
  mark("sum " .. x)
end }
