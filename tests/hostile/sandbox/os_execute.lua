-- Running a program: os is not in the sandbox.
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/os_execute.lua:5: attempt to index a nil value (global 'os')
machine { cpus = 1 }
os.execute("touch /tmp/apcsim-hostile-pwned")
