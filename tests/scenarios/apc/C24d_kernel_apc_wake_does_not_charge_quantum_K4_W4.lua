-- C24 case D - A wake for a kernel APC does not charge the quantum
-- (SEMANTICS.md 2, C24; rules K4, I8, W4, W8).
--
-- Case: "Case D: wake via a kernel APC (STATUS_KERNEL_APC) does not charge the
-- quantum."
-- T1 (dynamic 8) sleeps alertably for 20 ms (SleepEx). At 100 us a DPC inserts
-- a special kernel APC with Increment 0: T1 is woken with STATUS_KERNEL_APC; no
-- reset (increment 0) and no charge -> quantum stays 6 (compare C24b, where a
-- user-APC wake charges one unit). The APC is transparent (W4): the sleep goes on
-- and ends at its original due time, 20 ms. (quantum is read through
-- state().quantum, a field apcsim exposes beyond the documented list.)
machine { cpus = 1 }

local log = {}
local T1
T1 = thread { name = "T1", priority = 8, body = function()
  local r = SleepEx(20, true)
  expect(r == 0, "SleepEx ran out normally (the kernel APC is transparent, W4): " .. tostring(r))
  expect(now() == ms(20), "ended at the original due time (W4): " .. now())
  expect(#log == 1, "the KR ran once")
end }

at(us(100), function()
  expect(state(T1).quantum == 6, "full quantum while waiting")
  local sk = KeInitializeApc { thread = T1, name = "S1",
    kernel_routine = function()
      log[#log + 1] = "KR_S1"
      local s = state(T1)
      expect(s.quantum == 6, "the STATUS_KERNEL_APC wake did not charge the quantum (K4): " .. tostring(s.quantum))
      expect(s.priority == 8, "no boost with Increment 0")
    end }
  expect(KeInsertQueueApc(sk, nil, nil, 0) == true, "SK inserted")
  expect(state(T1).state ~= "Waiting", "the SK woke T1 (I8)")
end)
