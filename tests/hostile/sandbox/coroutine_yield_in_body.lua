-- coroutine.yield() straight from a thread body (the body IS a coroutine).
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/coroutine_yield_in_body.lua:6: coroutine.yield() in simulated code
machine { cpus = 1 }
thread { name = "T", system = true, body = function()
  coroutine.yield(1)
end }
