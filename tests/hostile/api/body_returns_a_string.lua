-- A thread body that returns something that is not an exit status: an error
-- naming the body, not a silent exit status 0.
-- expect-exit: 3
-- expect-stderr: scenario error: api/body_returns_a_string.lua:7: the body of t returned a string
machine { cpus = 1 }
local p = process { name = "app" }
thread { name = "t", process = p, body = function()
  return "done"
end }
