-- W6 matrix, row "Alertable, UserMode" x column "KeAlertThread(K) / KeAlertResumeThread" (SEMANTICS.md 1.E W6; rules W6, W2, W3, AL2).
--
-- Cell: "returns STATUS_ALERTED".
-- Matrix conditions: object not signaled, WaitIrql = PASSIVE, CAD = 0, KAIP = FALSE.
-- Set-up (1 CPU): user thread T1 makes a system call that waits on event E with
-- KeWaitForSingleObject(E, {mode = "UserMode", alertable = true}) - what
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
    local st = KeWaitForSingleObject(E, { mode = "UserMode", alertable = true })
    inside = state(T1)
    return st
  end)
end

T1 = thread { name = "T1", body = function()
  local st = do_wait()
  local t = now()
  rec("wait=" .. st)
  local s = state(T1)
  expect(st == "STATUS_ALERTED", "the wait returns STATUS_ALERTED: " .. st)
  expect(t == us(10), "woken at once by the alert: " .. t)
  expect(inside.Alerted.KernelMode == false, "the alert that unwaits leaves Alerted[K] FALSE (AL2)")
  expect(s.Alerted.UserMode == false and s.Alerted.KernelMode == false, "no alert flag left")
end }

at(us(10), function()
  expect(state(T1).state == "Waiting", "T1 is blocked in its wait")
  expect(KeAlertThread(T1, "KernelMode") == false, "KeAlertThread returns the old Alerted[K] = FALSE")
  local s = state(T1)
  expect(s.state ~= "Waiting", "the alert unwaited T1 (AL2): " .. s.state)
  expect(s.Alerted.KernelMode == false, "Alerted[K] left FALSE (AL2)")
end)

at(us(50), function() KeSetEvent(E, 0) end)
