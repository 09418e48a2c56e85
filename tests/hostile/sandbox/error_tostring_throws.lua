-- An error object whose __tostring itself raises an error.
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/error_tostring_throws.lua:6:
machine { cpus = 1 }
thread { name = "T", body = function()
  error(setmetatable({}, { __tostring = function() error("boom in __tostring") end }))
end }
