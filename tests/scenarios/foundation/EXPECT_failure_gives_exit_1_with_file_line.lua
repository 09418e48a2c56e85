-- EXPECT_failure_gives_exit_1_with_file_line: a failed expect(cond, message)
-- ends the run with exit status 1 and "file:line: message" on stderr (the line
-- of the expect call). A passing expect does nothing. API: expect().
-- expect-exit: 1
-- expect-stderr: EXPECT_failure_gives_exit_1_with_file_line.lua:11: deliberately false
thread { name = "t", body = function()
    compute(us(5))
    expect(true, "passes")
    expect(1 + 1 == 2, "passes too")
    local v = 3
    expect(v == 4, "deliberately false")
    error("not reached: the failed expect ends the run")
end }
