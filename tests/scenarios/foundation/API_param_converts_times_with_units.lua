-- API_param_converts_times_with_units: param() converts numbers and times
-- with units (SCENARIO_API), fractional ones too, as the command line's time
-- options read them: "1.5ms" is the integer 1500000 (it stayed a string).
-- args: --param a=1.5ms --param b=3ms --param c=2.5 --param d=2.5e3us --param e=fast --param f=7
machine { cpus = 1 }
local function is(name, want)
  local v = param(name)
  expect(v == want and math.type(v) == math.type(want), name .. " = " .. tostring(v) .. " (" .. tostring(math.type(v)) .. ")")
end
thread { name = "a", body = function()
  is("a", 1500000)
  is("b", 3000000)
  is("c", 2.5)
  is("d", 2500000)
  is("f", 7)
  expect(param("e") == "fast" and param("g", "dflt") == "dflt", "strings and defaults")
end }
