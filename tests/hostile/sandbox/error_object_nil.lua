-- error() with nil as the error object, at setup.
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/error_object_nil.lua:6:
machine { cpus = 1 }
thread { name = "T", body = function() end }
error(nil)
