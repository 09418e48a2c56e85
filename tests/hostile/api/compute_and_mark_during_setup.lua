-- compute() at setup time.
-- expect-exit: 3
-- expect-stderr: scenario error: api/compute_and_mark_during_setup.lua:5: compute must be called from simulated code
machine { cpus = 1 }
compute(ms(1))
