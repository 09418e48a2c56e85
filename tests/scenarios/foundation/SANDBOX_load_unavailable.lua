-- SANDBOX_load_unavailable: the scenario sandbox has no load(): using it is a
-- scenario error (exit 3) at the scenario's file:line, so a scenario cannot
-- touch the host or break determinism. API: scenario errors; sandbox.
-- expect-exit: 3
-- expect-stderr: SANDBOX_load_unavailable.lua:9:
thread { name = "t", system = true, body = function()
    compute(us(1))
    local ok = true
    local f = load("return 1")
    expect(false, "not reached: load() must not be available")
end }
