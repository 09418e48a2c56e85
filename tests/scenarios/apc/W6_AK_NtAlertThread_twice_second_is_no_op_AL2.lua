-- W6 matrix, row "Alertable, KernelMode" x column "NtAlertThread (Alert U)", repeated
-- (SEMANTICS.md 1.E W6; rules AL2, W2).
--
-- Cell: "not woken; Alerted[U]=TRUE". AL2: "returns the old Alerted[M]. ... If it was
-- already TRUE -> no action at all (even if T is now in an alertable wait)."
-- T1 waits alertably in KernelMode inside a system call. T2 alerts it twice from user
-- mode (NtAlertThread, written out to see KeAlertThread's BOOLEAN): FALSE then TRUE,
-- T1 stays Waiting. Then a DPC alerts it in KernelMode: that one unwaits it with
-- STATUS_ALERTED, and Alerted[U] is still TRUE afterwards.
machine { cpus = 1 }

local E = event { name = "E" }
local T1
T1 = thread { name = "T1", body = function()
  local inside
  local st = syscall("NtWaitForSingleObject", function()
    local r = KeWaitForSingleObject(E, { mode = "KernelMode", alertable = true })
    inside = state(T1)
    return r
  end)
  expect(st == "STATUS_ALERTED", "the kernel-mode alert ends the wait: " .. st)
  expect(now() == us(30), "at 30 us")
  expect(inside.Alerted.UserMode == true, "Alerted[U] still TRUE")
  expect(inside.Alerted.KernelMode == false, "Alerted[K] left FALSE by the unwaiting alert")
end }

thread { name = "T2", start_at = us(10), body = function()
  local function alert_user() return syscall("NtAlertThread", function() return KeAlertThread(T1, "UserMode") end) end
  expect(alert_user() == false, "first alert: old Alerted[U] FALSE")
  expect(state(T1).state == "Waiting" and state(T1).Alerted.UserMode == true, "not woken, Alerted[U] TRUE")
  compute(us(10))
  expect(alert_user() == true, "second alert: old Alerted[U] TRUE -> no action (AL2)")
  expect(state(T1).state == "Waiting", "still waiting")
end }

at(us(30), function()
  expect(KeAlertThread(T1, "KernelMode") == false, "kernel alert: old Alerted[K] FALSE")
end)
