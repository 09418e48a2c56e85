-- An endless loop whose instruction-budget error is caught by pcall.
machine { cpus = 1 }
thread { name = "T", system = true, body = function()
  compute(us(10))
  while true do pcall(function() while true do end end) end
end }
