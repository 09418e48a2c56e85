-- EXPECT_failure_at_top_level_exit_1: a failed expect() in the scenario's top
-- level (its setup) ends the run with exit status 1 and file:line, as it does
-- in a thread body or an at() callback (it was reported as a scenario error,
-- exit 3). API: expect.
-- expect-exit: 1
-- expect-stderr: apcsim: expectation failed: 
-- expect-stderr: EXPECT_failure_at_top_level_exit_1.lua:9: checked at setup
machine { cpus = 1 }
expect(1 + 1 == 3, "checked at setup")
