-- A kernel routine that sets ctl.normal_routine to something that is not a
-- function: the error names the kernel routine's line (the normal routine
-- would run later, where no scenario line is on the stack).
-- expect-exit: 3
-- expect-stderr: scenario error: api/kernel_routine_sets_normal_routine_to_a_number.lua:10: the kernel routine set ctl.normal_routine to a number
machine { cpus = 1 }
local t = thread { name = "t", system = true, body = function() KeDelayExecutionThread("KernelMode", false, ms(1)) end }
at(us(5), function()
  KeInsertQueueApc(KeInitializeApc { thread = t, normal_routine = function() end,
    kernel_routine = function(apc, ctl) ctl.normal_routine = 5 end })
end)
