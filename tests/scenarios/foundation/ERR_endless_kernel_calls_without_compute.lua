-- ERR_endless_kernel_calls_without_compute: a kernel thread that loops forever
-- on kernel calls that do not block and never compute() lets no simulated time
-- pass; the run must end with a clear scenario error (exit 3) instead of
-- hanging: here the instruction budget stops it, naming the loop's file:line.
-- Kept fast with a small budget. API: scenario errors.
-- args: --instruction-budget 1000000
-- expect-exit: 3
-- expect-stderr: instruction budget exceeded
-- expect-stderr: ERR_endless_kernel_calls_without_compute.lua:13:
local e = event { name = "e" }

thread { name = "busy", system = true, body = function()
    while true do KeSetEvent(e, 0); KeResetEvent(e) end
end }
