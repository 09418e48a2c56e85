-- while true do end while the scenario is being set up.
-- args: --instruction-budget 20000000
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/endless_loop_setup.lua:6: instruction budget exceeded
machine { cpus = 1 }
while true do end
