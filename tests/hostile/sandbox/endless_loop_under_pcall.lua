-- An endless loop whose budget error is caught by pcall and retried: the
-- budget must still end the run (and SIGINT/SIGTERM must still work).
-- expect-exit: 3
-- timeout: 3
-- expect-stderr: instruction budget exceeded
-- expect-stderr: scenario error: sandbox/endless_loop_under_pcall.lua:9:
machine { cpus = 1 }
thread { name = "T", body = function()
  while true do pcall(function() while true do end end) end
end }
