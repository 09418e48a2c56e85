-- expect(false, obj) where obj's __tostring returns a non-string.
-- expect-exit: 1
-- expect-stderr: expectation failed: sandbox/expect_message_object.lua:6:
machine { cpus = 1 }
thread { name = "T", body = function()
  expect(false, setmetatable({}, { __tostring = function() return 42 end }))
end }
