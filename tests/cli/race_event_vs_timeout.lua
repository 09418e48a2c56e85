-- race_event_vs_timeout.lua - a race that only some seeds lose (for
-- tests/run_seeds_test.sh): the event is set at a random time in 0..1.5 ms,
-- the alertable wait times out after 1 ms (W1: the object is tested before
-- the timeout, so a set at exactly 1 ms still wins).
machine { cpus = 2 }
local e = event { name = "e" }
thread { name = "w", body = function()
  local r = WaitForSingleObjectEx(e, 1, true)
  expect(r == "WAIT_OBJECT_0", "the event came first, got " .. tostring(r))
end }
local due = math.random(1500)
at(us(due), function() mark("set at " .. due .. " us"); KeSetEvent(e, 0) end)
