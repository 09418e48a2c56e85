-- Garbage with an endless finalizer, collected during the run.
-- expect-exit: 3
-- timeout: 3
-- expect-stderr: scenario error: sandbox/gc_finalizer_endless_during_run.lua:7:
machine { cpus = 1 }
thread { name = "T", system = true, body = function()
  for i = 1, 1e7 do setmetatable({}, { __gc = function() while true do end end }) end
end }
