-- A long run (millions of events, several seconds): the target of SIGINT,
-- SIGTERM and of the full-disk cases. Bounded by --max-events.
machine { cpus = 2 }
for k = 1, 4 do
  thread { name = "w" .. k, system = true, body = function()
    while true do
      compute(us(1))
      KeDelayExecutionThread("KernelMode", false, us(1))
    end
  end }
end
