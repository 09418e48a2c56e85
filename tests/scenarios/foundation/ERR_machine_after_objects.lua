-- ERR_machine_after_objects: machine{} configures the machine once, before any
-- object; calling it after an object was created is a scenario error at
-- file:line. API: machine{} ("configure once, before objects").
-- expect-exit: 3
-- expect-stderr: ERR_machine_after_objects.lua:7:
local e = event { name = "e" }
machine { cpus = 2 }
