-- KeWaitForMultipleObjects with 65 objects and with a hole in the list.
-- expect-exit: 3
-- expect-stderr: scenario error: api/wait_many_objects.lua:8: KeWaitForMultipleObjects: 1..64 objects, got 65
machine { cpus = 1 }
local objs = {}
for i = 1, 65 do objs[i] = event { name = "e" .. i } end
thread { name = "T", system = true, body = function()
  KeWaitForMultipleObjects(objs, "WaitAny", { timeout = 0 })
end }
