-- A string where a dispatcher object is expected.
-- expect-exit: 3
-- expect-stderr: scenario error: api/wrong_type_wait_object.lua:6: argument #1: expected a dispatcher object
machine { cpus = 1 }
thread { name = "T", system = true, body = function()
  KeWaitForSingleObject("not an object")
end }
