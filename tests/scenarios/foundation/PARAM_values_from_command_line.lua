-- PARAM_values_from_command_line: param(name, default) returns the value given
-- with --param name=value, numbers as Lua integers and time units converted to
-- nanoseconds (3ms -> 3000000), and the default for a name not given.
-- API: param(), CLI --param.
-- args: --param n=5 --param d=3ms --param label=hello
local n = param("n", 1)
local d = param("d", ms(1))
local label = param("label", "none")
local missing = param("missing", 42)

expect(n == 5 and math.type(n) == "integer", "n = 5 (integer), got " .. tostring(n))
expect(d == ms(3) and math.type(d) == "integer", "d = 3 ms in ns, got " .. tostring(d))
expect(label == "hello", "a string parameter, got " .. tostring(label))
expect(missing == 42, "default for a missing parameter, got " .. tostring(missing))

thread { name = "t", body = function()
    for _ = 1, n do compute(d) end
    expect(now() == 5 * ms(3), "5 x 3 ms of work, now=" .. now())
end }
