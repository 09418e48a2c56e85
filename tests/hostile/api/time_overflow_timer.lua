-- KeSetTimer with a due time of math.maxinteger ns.
-- expect-exit: 0|3
machine { cpus = 1 }
local tm = timer { name = "tm" }
thread { name = "T", system = true, body = function()
  compute(ms(1))
  KeSetTimer(tm, math.maxinteger)
  local st = KeWaitForSingleObject(tm, { timeout = ms(1) })
  expect(st == "STATUS_TIMEOUT", "a timer due in 292 years was signaled after 1 ms (" .. st .. ")")
end }
