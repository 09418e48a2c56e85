-- EXPECT_failure_in_at_callback: a failed expect in an at() callback (a DPC)
-- also ends the run with exit 1 and file:line: message. API: expect().
-- expect-exit: 1
-- expect-stderr: EXPECT_failure_in_at_callback.lua:7: late check fails
thread { name = "t", body = function() compute(ms(1)) end }
at(ms(2), function()
    expect(now() == 0, "late check fails")
end)
