-- API_syscall_returns_every_result: syscall(name, fn) returns what fn
-- returned, every value, nils included and in place, after the exit path
-- (D5-D7: the thread is back in user mode when the values arrive). API: syscall().
machine { cpus = 1 }
local p = process { name = "app.exe" }
thread { name = "T", process = p, body = function()
  local a, b, c = syscall("NtX", function() return nil, 2, nil end)
  expect(a == nil and b == 2 and c == nil, "the values, nils in place")
  expect(select("#", syscall("NtY", function() return nil, nil, nil end)) == 3, "trailing nils counted")
  expect(select("#", syscall("NtZ", function() end)) == 0, "no values")
  expect(current_mode() == "UserMode", "back in user mode")
  local st = NtDelayExecution(false, us(1))      -- a service: the same exit path
  expect(st == "STATUS_SUCCESS", "a service's status")
  mark("syscall: results kept")
end }
