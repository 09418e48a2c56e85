-- KeFlushQueueApc must return every APC it removed (the caller has to run
-- them down); 600 are queued.
-- expect-exit: 0
machine { cpus = 1 }
local T = thread { name = "T", body = function() SleepEx(INFINITE, false) end }
at(ms(1), function()
  for i = 1, 600 do QueueUserAPC(function() end, T, i) end
end)
thread { name = "F", system = true, start_at = ms(2), body = function()
  expect(#state(T).user_queue == 600, "600 queued")
  local l = KeFlushQueueApc(T, "UserMode")
  expect(#state(T).user_queue == 0, "queue emptied")
  expect(#l == 600, "KeFlushQueueApc returned " .. #l .. " of the 600 APCs it removed")
end }
