-- C04 - Pre-alerted thread entering an alertable wait (SEMANTICS.md 2, C04; rules W1.2, W2a, AL2, AL4).
--
-- Case: "T1 running user code; T2 NtAlertThread(T1). Then T1 calls
-- NtWaitForSingleObject(E unsignaled, Alertable=TRUE). Expected: the alert call
-- returns FALSE, Alerted[U] = TRUE; the wait returns STATUS_ALERTED at once
-- (never blocks) and Alerted[U] becomes FALSE." (variants: C04b, C04c)
--
-- T2's NtAlertThread is written out as the system call it is (KeAlertThread with
-- PreviousMode = UserMode, AL2) so that the BOOLEAN KeAlertThread returns can be
-- checked; NtAlertThread itself returns STATUS_SUCCESS (also checked, on a
-- second call, where AL2 says: already TRUE -> no action).
machine { cpus = 2 }

local E = event { name = "E" }
local T1
local alerted_at

T1 = thread { name = "T1", affinity = 2, body = function()
  compute(us(100))                                    -- user code; T2 alerts at 10 us
  local s = state(T1)
  expect(s.Alerted.UserMode == true, "Alerted[U] set by the alert (AL2)")
  expect(s.Alerted.KernelMode == false, "Alerted[K] untouched")
  local t0 = now()
  local st = NtWaitForSingleObject(E, true)
  expect(st == "STATUS_ALERTED", "pre-alerted alertable wait returns STATUS_ALERTED (W2a): " .. st)
  expect(now() == t0, "the wait never blocked")
  expect(state(T1).Alerted.UserMode == false, "Alerted[U] consumed by the wait (AL4)")
end }

thread { name = "T2", affinity = 1, start_at = us(10), body = function()
  expect(state(T1).state == "Running" and state(T1).mode == "UserMode", "T1 runs user code")
  local old = syscall("NtAlertThread", function() return KeAlertThread(T1, "UserMode") end)
  expect(old == false, "KeAlertThread returns the old Alerted[U] = FALSE (AL2)")
  expect(state(T1).Alerted.UserMode == true, "Alerted[U] = TRUE (T1 not waiting)")
  expect(NtAlertThread(T1) == "STATUS_SUCCESS", "NtAlertThread returns STATUS_SUCCESS")
  expect(state(T1).Alerted.UserMode == true, "second alert: no change (AL2)")
end }
