-- Reaching debug directly (debug.sethook would remove the instruction budget).
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/debug_global.lua:5: attempt to index a nil value (global 'debug')
machine { cpus = 1 }
debug.sethook()
