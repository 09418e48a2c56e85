-- ERR_wrong_object_type_to_wait: KeWaitForSingleObject on something that is
-- not a dispatcher object (a string) is a scenario error at file:line, not a
-- crash or a silent success. API: scenario errors ("a wrong argument type").
-- expect-exit: 3
-- expect-stderr: ERR_wrong_object_type_to_wait.lua:7:
thread { name = "t", system = true, body = function()
    KeWaitForSingleObject("not an object", {})
end }
