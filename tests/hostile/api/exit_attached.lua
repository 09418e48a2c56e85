-- A thread that ends attached to another process.
-- expect-exit: 4
-- expect-stderr: INVALID_PROCESS_ATTACH_ATTEMPT
machine { cpus = 1 }
local p = process { name = "p" }
thread { name = "T", system = true, body = function() KeAttachProcess(p) end }
