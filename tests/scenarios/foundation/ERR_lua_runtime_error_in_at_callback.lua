-- ERR_lua_runtime_error_in_at_callback: a Lua runtime error (indexing nil) in
-- an at() callback is a scenario error: exit status 3 with file:line.
-- API: scenario errors.
-- expect-exit: 3
-- expect-stderr: ERR_lua_runtime_error_in_at_callback.lua:10:
thread { name = "t", body = function() compute(ms(2)) end }

at(ms(1), function()
    local cfg = nil
    local v = cfg.missing
end)
