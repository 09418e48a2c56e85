-- SANDBOX_loadfile_unavailable: the scenario sandbox has no loadfile(): using it is a
-- scenario error (exit 3) at the scenario's file:line, so a scenario cannot
-- touch the host or break determinism. API: scenario errors; sandbox.
-- expect-exit: 3
-- expect-stderr: SANDBOX_loadfile_unavailable.lua:9:
thread { name = "t", system = true, body = function()
    compute(us(1))
    local ok = true
    local f = loadfile("/etc/hostname")
    expect(false, "not reached: loadfile() must not be available")
end }
