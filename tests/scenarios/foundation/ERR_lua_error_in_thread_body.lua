-- ERR_lua_error_in_thread_body: a Lua error raised in a thread body is a
-- scenario error: exit status 3, and stderr names the scenario's file:line.
-- API: scenario errors (exit 3, file:line).
-- expect-exit: 3
-- expect-stderr: ERR_lua_error_in_thread_body.lua:11:
-- expect-stderr: deliberate failure in the body
thread { name = "t", body = function()
    compute(us(10))
    local x = 1
    if x == 1 then
        error("deliberate failure in the body")
    end
end }
