-- A kernel call that must yield, made from a table.sort comparator (a C
-- function in between).
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/yield_across_c_boundary.lua:7:
machine { cpus = 1 }
thread { name = "T", body = function()
  table.sort({ 3, 2, 1 }, function(a, b) compute(us(1)) return a < b end)
end }
