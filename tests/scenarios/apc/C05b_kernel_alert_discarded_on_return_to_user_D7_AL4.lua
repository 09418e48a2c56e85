-- C05 case B - Kernel alert is discarded by the return to user mode
-- (SEMANTICS.md 2, C05; rules AL2, AL4, D7).
--
-- Case: "T1 executing a system call ... T2 KeAlertThread(T1, KernelMode) ->
-- returns FALSE, Alerted[K] = TRUE. ... Case B: T1 first returns to user mode
-- (Alerted[K] cleared by D7), then does NtWaitForSingleObject(E, TRUE) -> blocks."
-- The wait has a 1 ms timeout so the test ends: it must block the whole 1 ms.
machine { cpus = 2 }

local E = event { name = "E" }
local T1

T1 = thread { name = "T1", affinity = 2, body = function()
  syscall("NtSomething", function()
    compute(us(100))
    expect(state(T1).Alerted.KernelMode == true, "Alerted[K] = TRUE inside the call")
  end)
  expect(state(T1).Alerted.KernelMode == false, "Alerted[K] cleared on the return to user mode (D7)")
  local t0 = now()
  local st = NtWaitForSingleObject(E, true, ms(1))
  expect(st == "STATUS_TIMEOUT", "the alertable wait blocks (no alert left): " .. st)
  expect(now() == t0 + ms(1), "blocked for the whole timeout")
end }

thread { name = "T2", system = true, affinity = 1, start_at = us(10), body = function()
  expect(KeAlertThread(T1, "KernelMode") == false, "KeAlertThread returns FALSE")
  expect(state(T1).Alerted.KernelMode == true, "Alerted[K] = TRUE")
end }
