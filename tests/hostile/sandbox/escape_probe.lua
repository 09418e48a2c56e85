-- Probes the usual escape routes through _G, _ENV, the string metatable and
-- require "apcsim"; every dangerous name must be absent. Exit 0 = held.
-- expect-exit: 0
machine { cpus = 1 }
local bad = { "io", "os", "package", "debug", "load", "loadfile", "dofile", "loadstring",
              "collectgarbage", "module", "setfenv", "getfenv", "newproxy", "jit", "ffi" }
local function check(where, t)
  for _, k in ipairs(bad) do
    expect(rawget(t, k) == nil, where .. " exposes " .. k)
  end
end
check("_G", _G)
check("_ENV", _ENV)
check("require 'apcsim'", require "apcsim")
local smt = getmetatable("")
expect(smt.__index == string, "string metatable")
expect(string.dump == nil, "string.dump")
for k, v in pairs(string) do expect(k ~= "dump", "string.dump via pairs") end
-- a fresh environment does not bring anything back
local env = setmetatable({}, { __index = _G })
check("env", env)
local function f() local _ENV = { x = 1 }; return x end
expect(f() == 1, "_ENV rebinding is plain Lua")
thread { name = "T", body = function()
  check("_G in a body", _G)
  local co = coroutine.running()
  expect(type(co) == "thread", "body runs in a coroutine")
end }
