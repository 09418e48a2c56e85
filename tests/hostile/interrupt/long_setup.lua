-- A scenario whose set-up (the top-level chunk) takes a while before the
-- long run starts: SIGINT during set-up must not be lost.
machine { cpus = 2 }
local x = 0
for i = 1, 60000000 do x = x + i end
for k = 1, 4 do
  thread { name = "w" .. k, system = true, body = function()
    while true do
      compute(us(1))
      KeDelayExecutionThread("KernelMode", false, us(1))
    end
  end }
end
