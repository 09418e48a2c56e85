-- A typo in machine{} and a fractional CPU count are refused at setup.
-- expect-exit: 3
-- expect-stderr: scenario error: api/wrong_machine_fields.lua:4: machine{}: unknown field 'cpu'
machine { cpu = 2.5 }
