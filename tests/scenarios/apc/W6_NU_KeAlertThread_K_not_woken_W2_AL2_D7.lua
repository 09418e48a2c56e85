-- W6 matrix, row "Non-alertable, UserMode" x column "KeAlertThread(K) / KeAlertResumeThread" (SEMANTICS.md 1.E W6; rules W6, W2, W3, AL2, D7).
--
-- Cell: "`Alerted[K]=TRUE` (KeAlertResumeThread: flag only)".
-- Matrix conditions: object not signaled, WaitIrql = PASSIVE, CAD = 0, KAIP = FALSE.
-- Set-up (1 CPU): user thread T1 makes a system call that waits on event E with
-- KeWaitForSingleObject(E, {mode = "UserMode", alertable = false}) - what
-- NtWaitForSingleObject does for a UserMode wait; a driver's wait inside a system call for
-- a KernelMode one. The event arrives at 10 us; E is set at 50 us to end any wait that goes on.
-- A wait satisfied by E returns STATUS_WAIT_0; apcsim names it STATUS_SUCCESS (same value),
-- both names are accepted here (the name is checked in C03 and C23).
-- A DPC calls KeAlertThread(T1, KernelMode). (The KeAlertResumeThread half of the column
-- is in the W6_*_KeAlertResumeThread_* files.)
machine { cpus = 1 }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local IRQL = { [0] = "PASSIVE", [1] = "APC", [2] = "DISPATCH" }
local function at_irql() return IRQL[current_irql()] or tostring(current_irql()) end
local function wait0(st) return st == "STATUS_WAIT_0" or st == "STATUS_SUCCESS" end

local E = event { name = "E" }     -- never signaled before 50 us
local T1
local inside                       -- T1's state right after the wait, still in kernel mode

local function do_wait()
  return syscall("NtWaitForSingleObject", function()
    local st = KeWaitForSingleObject(E, { mode = "UserMode", alertable = false })
    inside = state(T1)
    return st
  end)
end

T1 = thread { name = "T1", body = function()
  local st = do_wait()
  local t = now()
  rec("wait=" .. st)
  local s = state(T1)
  expect(wait0(st), "the wait goes on until E is set: " .. st)
  expect(t == us(50), "the wait ended when E was set, at 50 us: " .. t)
  expect(inside.Alerted.KernelMode == true, "Alerted[K] = TRUE right after the wait, still in kernel mode")
  expect(s.Alerted.KernelMode == false, "Alerted[K] cleared by the return to user mode (D7)")
end }

at(us(10), function()
  expect(state(T1).state == "Waiting", "T1 is blocked in its wait")
  expect(KeAlertThread(T1, "KernelMode") == false, "KeAlertThread returns the old Alerted[K] = FALSE")
  local s = state(T1)
  expect(s.state == "Waiting", "T1 not woken: " .. s.state)
  expect(s.Alerted.KernelMode == true, "Alerted[K] = TRUE (AL2)")
end)

at(us(50), function() KeSetEvent(E, 0) end)
