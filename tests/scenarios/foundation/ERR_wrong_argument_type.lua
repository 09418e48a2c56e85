-- ERR_wrong_argument_type: passing a wrong argument type to an apcsim function
-- (a string to compute()) is a scenario error naming the scenario's file:line.
-- API: scenario errors ("a wrong argument type").
-- expect-exit: 3
-- expect-stderr: ERR_wrong_argument_type.lua:8:
thread { name = "t", body = function()
    compute(us(1))
    compute("a while")
end }
