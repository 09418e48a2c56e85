-- C04 variant b - Pre-alerted thread, object already signaled (SEMANTICS.md 2, C04; rules W1.2, W2a, AL4).
--
-- Case: "Variant: E already signaled -> STATUS_WAIT_0 and Alerted[U] remains TRUE."
-- W1.2: "A satisfiable object beats any pending alert or user APC; nothing is
-- consumed in that case."
machine { cpus = 2 }

local E = event { name = "E", signaled = true }
local T1

T1 = thread { name = "T1", affinity = 2, body = function()
  compute(us(100))
  expect(state(T1).Alerted.UserMode == true, "Alerted[U] set by T2")
  local t0 = now()
  local st = NtWaitForSingleObject(E, true)
  expect(st == "STATUS_WAIT_0", "signaled object wins over the alert (W1.2): " .. st)
  expect(now() == t0, "no blocking")
  expect(state(T1).Alerted.UserMode == true, "Alerted[U] remains TRUE: nothing consumed (W1.2)")
end }

thread { name = "T2", affinity = 1, start_at = us(10), body = function()
  local old = syscall("NtAlertThread", function() return KeAlertThread(T1, "UserMode") end)
  expect(old == false, "KeAlertThread returns FALSE (AL2)")
end }
