-- PARAM_defaults_without_arguments: with no --param on the command line,
-- param(name, default) returns the default unchanged. API: param().
expect(param("n", 7) == 7, "numeric default")
expect(param("d", us(250)) == us(250), "time default")
expect(param("s", "x") == "x", "string default")
thread { name = "t", body = function() compute(param("d", us(250))) end }
