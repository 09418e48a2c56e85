-- Loading a native library: the package library is not there.
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/package_loadlib.lua:5: attempt to index a nil value (global 'package')
machine { cpus = 1 }
local f = package.loadlib("/lib/x86_64-linux-gnu/libc.so.6", "system")
