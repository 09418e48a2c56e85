-- C04 variant c - Pre-alerted thread entering a NON-alertable wait (SEMANTICS.md 2, C04; rules W2, AL4).
--
-- Case: "Variant: Alertable=FALSE -> blocks; Alerted[U] remains TRUE."
-- The wait is given a 1 ms timeout so that the test ends: it must block for the
-- full 1 ms and return STATUS_TIMEOUT, with Alerted[U] still TRUE (W2: the
-- not-alertable branch looks only at UAP).
machine { cpus = 2 }

local E = event { name = "E" }
local T1

T1 = thread { name = "T1", affinity = 2, body = function()
  compute(us(100))
  expect(state(T1).Alerted.UserMode == true, "Alerted[U] set by T2")
  local t0 = now()
  local st = NtWaitForSingleObject(E, false, ms(1))
  expect(st == "STATUS_TIMEOUT", "non-alertable wait ignores the alert and times out: " .. st)
  expect(now() == t0 + ms(1), "it blocked for the whole timeout")
  expect(state(T1).Alerted.UserMode == true, "Alerted[U] remains TRUE")
end }

thread { name = "T2", affinity = 1, start_at = us(10), body = function()
  local old = syscall("NtAlertThread", function() return KeAlertThread(T1, "UserMode") end)
  expect(old == false, "KeAlertThread returns FALSE (AL2)")
  compute(us(200))                      -- T1 is now blocked in its wait
  local s = state(T1)
  expect(s.state == "Waiting", "T1 blocked: " .. s.state)
  expect(s.Alerted.UserMode == true, "Alerted[U] still TRUE while T1 waits")
end }
