-- A scenario coroutine that wraps a kernel call: yielding from it would
-- suspend the wrong coroutine.
-- expect-exit: 3
-- expect-stderr: kernel calls cannot be made from inside a coroutine the scenario created
-- expect-stderr: sandbox/coroutine_wrap_kernel_call.lua:8: KeDelayExecutionThread: kernel calls cannot be made
machine { cpus = 1 }
thread { name = "T", system = true, body = function()
  local co = coroutine.wrap(function() KeDelayExecutionThread("KernelMode", false, ms(1)) end)
  co()
end }
