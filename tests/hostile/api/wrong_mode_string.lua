-- A wait mode that is neither KernelMode nor UserMode.
-- expect-exit: 3
-- expect-stderr: scenario error: api/wrong_mode_string.lua:6: mode must be "KernelMode" or "UserMode", got "kernel"
machine { cpus = 1 }
thread { name = "T", system = true, body = function()
  KeDelayExecutionThread("kernel", false, ms(1))
end }
