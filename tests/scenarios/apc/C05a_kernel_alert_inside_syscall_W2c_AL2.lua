-- C05 case A - Kernel alert consumed by an alertable UserMode wait in the same
-- system call (SEMANTICS.md 2, C05; rules AL2, W2c, AL4).
--
-- Case: "T1 executing a system call (Running, kernel code, not waiting). T2
-- KeAlertThread(T1, KernelMode) -> returns FALSE, Alerted[K] = TRUE. Case A:
-- still inside the call, T1 does an alertable UserMode wait -> STATUS_ALERTED
-- (W2c), Alerted[K] cleared."
machine { cpus = 2 }

local E = event { name = "E" }
local T1

T1 = thread { name = "T1", affinity = 2, body = function()
  local st = syscall("NtSomething", function()
    compute(us(100))                                  -- kernel code; T2 alerts at 10 us
    local s = state(T1)
    expect(s.Alerted.KernelMode == true, "Alerted[K] = TRUE after T2's KeAlertThread (AL2)")
    expect(s.Alerted.UserMode == false, "Alerted[U] untouched")
    local t0 = now()
    local r = KeWaitForSingleObject(E, { mode = "UserMode", alertable = true })
    expect(now() == t0, "the wait did not block")
    expect(state(T1).Alerted.KernelMode == false, "Alerted[K] cleared by the wait (W2c, AL4)")
    return r
  end)
  expect(st == "STATUS_ALERTED", "alertable UserMode wait returns STATUS_ALERTED via Alerted[K] (W2c): " .. st)
end }

thread { name = "T2", system = true, affinity = 1, start_at = us(10), body = function()
  local s = state(T1)
  expect(s.state == "Running" and s.mode == "KernelMode", "T1 runs kernel code of its system call")
  expect(KeAlertThread(T1, "KernelMode") == false, "KeAlertThread returns the old Alerted[K] = FALSE")
  expect(state(T1).Alerted.KernelMode == true, "Alerted[K] = TRUE (T1 not waiting, AL2)")
end }
