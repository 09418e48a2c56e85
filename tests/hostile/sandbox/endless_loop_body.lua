-- while true do end in a thread body.
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/endless_loop_body.lua:6: instruction budget exceeded
machine { cpus = 1 }
thread { name = "T", body = function()
  while true do end
end }
