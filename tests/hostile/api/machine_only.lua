-- A half-written scenario: machine{} and nothing else. Nothing can ever
-- happen; the run must end at once.
-- expect-exit: 0
-- timeout: 3
machine { cpus = 1 }
