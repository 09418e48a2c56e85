-- SANDBOX_os_execute_unavailable: the scenario sandbox has no os library (os.execute): using it is a
-- scenario error (exit 3) at the scenario's file:line, so a scenario cannot
-- touch the host or break determinism. API: scenario errors; sandbox.
-- expect-exit: 3
-- expect-stderr: SANDBOX_os_execute_unavailable.lua:9:
thread { name = "t", system = true, body = function()
    compute(us(1))
    local ok = true
    os.execute("true")
    expect(false, "not reached: os library (os.execute) must not be available")
end }
