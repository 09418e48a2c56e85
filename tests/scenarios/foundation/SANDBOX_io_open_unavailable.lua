-- SANDBOX_io_open_unavailable: the scenario sandbox has no io library (io.open): using it is a
-- scenario error (exit 3) at the scenario's file:line, so a scenario cannot
-- touch the host or break determinism. API: scenario errors; sandbox.
-- expect-exit: 3
-- expect-stderr: SANDBOX_io_open_unavailable.lua:9:
thread { name = "t", system = true, body = function()
    compute(us(1))
    local ok = true
    local f = io.open("/etc/hostname", "r")
    expect(false, "not reached: io library (io.open) must not be available")
end }
