-- A Win32 call at setup time (through lua/win32.lua and lua/nt.lua).
-- expect-exit: 3
-- expect-stderr: scenario error: api/win32_during_setup.lua:5: KeDelayExecutionThread must be called from simulated code
machine { cpus = 1 }
Sleep(1)
