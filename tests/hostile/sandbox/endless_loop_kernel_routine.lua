-- while true do end in a kernel routine (runs at APC_LEVEL).
-- args: --instruction-budget 20000000
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/endless_loop_kernel_routine.lua:8: instruction budget exceeded
machine { cpus = 1 }
thread { name = "T", system = true, body = function()
  local a = KeInitializeApc { thread = current_thread(), name = "k", kernel_routine = function()
    while true do end
  end }
  KeInsertQueueApc(a)
end }
