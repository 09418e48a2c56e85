-- A small valid scenario: the source of the good trace that the broken
-- trace files are made from, and the scenario of the regress cases.
machine { cpus = 1 }
local e = event { name = "e" }
local T = thread { name = "T", body = function()
  local r = WaitForSingleObjectEx(e, INFINITE, true)
  mark("woke " .. tostring(r))
end }
at(us(500), function() QueueUserAPC(function(c) mark("apc " .. c) end, T, "ctx") end)
