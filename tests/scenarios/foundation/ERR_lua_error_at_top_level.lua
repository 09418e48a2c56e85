-- ERR_lua_error_at_top_level: an error while the scenario file itself is being
-- loaded (top level, before the simulation) is a scenario error with file:line.
-- API: scenario errors.
-- expect-exit: 3
-- expect-stderr: ERR_lua_error_at_top_level.lua:8:
-- expect-stderr: bad configuration
local e = event { name = "e" }
error("bad configuration")
