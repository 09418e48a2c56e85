-- ERR_machine_twice: machine{} may be called once only; a second call is a
-- scenario error at file:line. API: machine{} ("configure once").
-- expect-exit: 3
-- expect-stderr: ERR_machine_twice.lua:6:
machine { cpus = 1 }
machine { cpus = 2 }
