-- while true do end in an at() callback (a DPC).
-- args: --instruction-budget 20000000
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/endless_loop_at_callback.lua:8: instruction budget exceeded
machine { cpus = 1 }
thread { name = "T", body = function() compute(ms(5)) end }
at(ms(1), function()
  while true do end
end)
