-- Reading a file with the io library: io is not in the sandbox.
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/io_open_read.lua:5: attempt to index a nil value (global 'io')
machine { cpus = 1 }
local f = io.open("/etc/passwd", "r")
