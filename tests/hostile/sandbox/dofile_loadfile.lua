-- dofile / loadfile of a system file: removed.
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/dofile_loadfile.lua:6: attempt to call a nil value (global 'dofile')
machine { cpus = 1 }
expect(loadfile == nil and loadstring == nil, "loadfile/loadstring reachable")
dofile("/etc/passwd")
