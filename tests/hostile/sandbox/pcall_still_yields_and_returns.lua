-- pcall is apcsim's (it charges caught errors to the instruction budget) but
-- behaves as Lua's: all results, false plus the error object, and simulated
-- code may yield inside it (compute, waits).
-- expect-exit: 0
machine { cpus = 1 }
thread { name = "T", system = true, body = function()
  local ok, a, b = pcall(function(x) compute(us(5)); return x, nil end, 7)
  expect(ok == true and a == 7 and b == nil and now() == us(5), "results and a yield inside pcall")
  expect(select("#", pcall(function() return 1, nil, nil end)) == 4, "trailing nils kept")
  local e = {}
  local ok2, err = pcall(error, e)
  expect(ok2 == false and err == e, "false and the error object itself")
  local ok3, msg = xpcall(function() error("boom") end, function(m) return "handled: " .. m end)
  expect(ok3 == false and msg:find("handled: .*boom"), "xpcall's handler")
  for _ = 1, 1000 do pcall(error, "x") end             -- ordinary amounts of caught errors are fine
end }
