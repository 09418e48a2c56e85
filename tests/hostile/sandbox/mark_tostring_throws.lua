-- mark() of a value whose __tostring raises an error.
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/mark_tostring_throws.lua:6: boom in __tostring
machine { cpus = 1 }
thread { name = "T", body = function()
  mark(setmetatable({}, { __tostring = function() error("boom in __tostring") end }))
end }
