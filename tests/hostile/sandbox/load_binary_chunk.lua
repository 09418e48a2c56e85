-- Loading a binary chunk with load(): load is not in the sandbox.
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/load_binary_chunk.lua:5: attempt to call a nil value (global 'load')
machine { cpus = 1 }
local f = load("\27Lua\x54\x00\x19\x93\r\n\x1a\n", "x", "b")
