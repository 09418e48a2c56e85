-- Writing a file from a thread body (not only at setup).
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/io_write_in_body.lua:6: attempt to index a nil value (global 'io')
machine { cpus = 1 }
thread { name = "T", body = function()
  io.open("/tmp/apcsim-hostile-pwned", "w"):write("x")
end }
