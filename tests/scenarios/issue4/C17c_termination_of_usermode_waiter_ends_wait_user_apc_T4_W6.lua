-- C17 contrast - termination of a *UserMode* waiter ends the wait
-- (SEMANTICS.md 1.E W6, 1.H T4; rules W6, T3, T4, W2, W4).
--
-- W6, column "termination request": "Alertable, UserMode: returns STATUS_USER_APC,
-- thread dies on exit"; "Non-alertable, UserMode: returns STATUS_USER_APC, dies on
-- exit". T4: "user-mode waits return STATUS_USER_APC because UAP is set".
--
-- T1 waits in WaitForSingleObject(E, INFINITE) - NtWaitForSingleObject, UserMode,
-- not alertable. T2 terminates it at 10 us: the exit NK wakes it (STATUS_KERNEL_APC,
-- transparent), runs and sets UAP; the restarted wait sees UAP (W2: non-alertable
-- UserMode wait with UAP -> STATUS_USER_APC) and returns; the system-call exit
-- delivers the exit APC and T1 dies at 10 us without ever seeing the result.
machine { cpus = 2 }

local app = process { name = "app" }
local E = event { name = "E" }
local inside

local T1
T1 = thread { name = "T1", process = app, affinity = 2, body = function()
  local st = syscall("NtWaitForSingleObject", function()
    inside = KeWaitForSingleObject(E, { mode = "UserMode", alertable = false })
    return inside
  end)
  expect(false, "T1 never sees the result: " .. tostring(st))
end }

at(us(10), function()
  expect(PsTerminateThread(T1, 11) == "STATUS_SUCCESS", "termination requested (T2)")
end, { cpu = 0 })

thread { name = "watcher", system = true, affinity = 1, start_at = us(5), body = function()
  expect(KeWaitForSingleObject(T1, {}) == "STATUS_WAIT_0", "T1's object is signaled")
  local s = state(T1)
  expect(inside == "STATUS_USER_APC", "the UserMode wait returned STATUS_USER_APC (W2, T4): " .. tostring(inside))
  expect(s.state == "Terminated" and s.exit_status == 11 and now() == us(10), "T1 died at once (10 us), status 11")
end }
