-- SANDBOX_string_dump_unavailable: the scenario sandbox has no string.dump: using it is a
-- scenario error (exit 3) at the scenario's file:line, so a scenario cannot
-- touch the host or break determinism. API: scenario errors; sandbox.
-- expect-exit: 3
-- expect-stderr: SANDBOX_string_dump_unavailable.lua:9:
thread { name = "t", system = true, body = function()
    compute(us(1))
    local ok = true
    local s = string.dump(function() end)
    expect(false, "not reached: string.dump must not be available")
end }
