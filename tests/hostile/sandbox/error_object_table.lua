-- error() with a table as the error object.
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/error_object_table.lua:6:
machine { cpus = 1 }
thread { name = "T", body = function()
  error({ code = 42 })
end }
