-- Reseeding the run's random source from the scenario.
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/math_randomseed.lua:5: math.randomseed is not available
machine { cpus = 1 }
math.randomseed(42)
