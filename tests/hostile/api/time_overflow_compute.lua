-- compute(math.maxinteger) after 1 ms: now + d overflows. The run is
-- bounded by stop_at; it must end there or refuse the duration.
-- expect-exit: 0|3
machine { cpus = 1, stop_at = ms(20) }
thread { name = "T", system = true, body = function()
  compute(ms(1))
  compute(math.maxinteger)
end }
