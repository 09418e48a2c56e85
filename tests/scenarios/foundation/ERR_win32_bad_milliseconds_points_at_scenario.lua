-- ERR_win32_bad_milliseconds_points_at_scenario: a wrong millisecond argument
-- to a Win32 function (Sleep("soon")) is a scenario error, and the location
-- reported is the scenario's own file:line (the line calling Sleep), not a line
-- of apcsim's lua/win32.lua. API: scenario errors with the scenario's
-- file:line.
-- expect-exit: 3
-- expect-stderr: ERR_win32_bad_milliseconds_points_at_scenario.lua:11: milliseconds
thread { name = "u", body = function()
    compute(us(1))
    local delay = "soon"
    Sleep(delay)
end }
