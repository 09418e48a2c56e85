-- The scenario overwrites a global the Win32 layer uses; the error is
-- raised inside lua/win32.lua and must still point at the scenario.
-- expect-exit: 3
-- expect-stderr: sandbox/clobber_library_global.lua:7:
machine { cpus = 1 }
NtDelayExecution = 42
thread { name = "T", body = function() Sleep(1) end }
