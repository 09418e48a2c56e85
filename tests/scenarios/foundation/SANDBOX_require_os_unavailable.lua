-- SANDBOX_require_os_unavailable: the scenario sandbox has no os module for require: using it is a
-- scenario error (exit 3) at the scenario's file:line, so a scenario cannot
-- touch the host or break determinism. API: scenario errors; sandbox.
-- expect-exit: 3
-- expect-stderr: SANDBOX_require_os_unavailable.lua:9:
thread { name = "t", system = true, body = function()
    compute(us(1))
    local ok = true
    local os_lib = require "os"
    expect(false, "not reached: os module for require must not be available")
end }
