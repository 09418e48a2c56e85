-- W6 matrix, column "NtAlertThread (Alert U)", all four rows: Alertable/Non-alertable x KernelMode/UserMode (SEMANTICS.md 1.E W6; rules W6, W2, W3, AL2).
-- One scenario, run once per row (the --param lines below; mode and alertable pick the row,
-- WANT holds that row's cell).
-- args: --param mode=KernelMode --param alertable=true
-- args: --param mode=UserMode --param alertable=true
-- args: --param mode=KernelMode --param alertable=false
-- args: --param mode=UserMode --param alertable=false
--
-- Cells: AU "returns STATUS_ALERTED"; AK "not woken; `Alerted[U]=TRUE`"; NK, NU "`Alerted[U]=TRUE`".
-- Matrix conditions: object not signaled, WaitIrql = PASSIVE, CAD = 0, KAIP = FALSE.
-- Set-up (1 CPU): user thread T1 makes a system call that waits on event E with
-- KeWaitForSingleObject(E, {mode = MODE, alertable = ALERTABLE}) - what
-- NtWaitForSingleObject does for a UserMode wait; a driver's wait inside a system call for
-- a KernelMode one. The event arrives at 10 us; E is set at 50 us to end any wait that goes on.
-- A wait satisfied by E returns STATUS_WAIT_0; apcsim names it STATUS_SUCCESS (same value),
-- both names are accepted here (the name is checked in C03 and C23).
-- User thread T2 calls NtAlertThread(T1) (KeAlertThread with PreviousMode = UserMode).
local MODE, ALERTABLE = param("mode", "KernelMode"), param("alertable", true)
expect((MODE == "KernelMode" or MODE == "UserMode") and type(ALERTABLE) == "boolean",
       "run with --param mode=KernelMode|UserMode --param alertable=true|false")
machine { cpus = 1 }

-- inside, after, t2_flags: the Alerted flags expected right after the wait (still in kernel
-- mode), back in user mode, and right after NtAlertThread; flags not listed are not checked.
local NOT_WOKEN = {                -- AK, NK, NU
  status = "STATUS_WAIT_0",        -- STATUS_WAIT_0 stands for either name (wait0)
  status_msg = "the wait goes on until E is set: ",
  ends_at = us(50), ends_msg = "the wait ended when E was set, at 50 us: ",
  inside = { UserMode = true }, inside_msg = "Alerted[U] = TRUE after the wait",
  after = { UserMode = true }, after_msg = "Alerted[U] still TRUE in user mode (only Alerted[K] is cleared by D7)",
  t2_waiting = true, t2_waiting_msg = "T1 not woken: ",
  t2_flags = { UserMode = true }, t2_flags_msg = "Alerted[U] = TRUE (AL2)",
}
local WANT = ({
  AK = NOT_WOKEN,
  AU = {
    status = "STATUS_ALERTED", status_msg = "the wait returns STATUS_ALERTED: ",
    ends_at = us(10), ends_msg = "woken at once by the alert: ",
    inside = { UserMode = false }, inside_msg = "the alert that unwaits leaves Alerted[U] FALSE (AL2)",
    after = { UserMode = false, KernelMode = false }, after_msg = "no alert flag left",
    t2_waiting = false, t2_waiting_msg = "the alert unwaited T1 (AL2): ",
    t2_flags = { UserMode = false }, t2_flags_msg = "Alerted[U] left FALSE (AL2)",
  },
  NK = NOT_WOKEN,
  NU = NOT_WOKEN,
})[(ALERTABLE and "A" or "N") .. (MODE == "KernelMode" and "K" or "U")]

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local IRQL = { [0] = "PASSIVE", [1] = "APC", [2] = "DISPATCH" }
local function at_irql() return IRQL[current_irql()] or tostring(current_irql()) end
local function wait0(st) return st == "STATUS_WAIT_0" or st == "STATUS_SUCCESS" end
local function status_is(st, want) if want == "STATUS_WAIT_0" then return wait0(st) end return st == want end
local function flags_are(alerted, want)
  for mode, v in pairs(want) do if alerted[mode] ~= v then return false end end
  return true
end

local E = event { name = "E" }     -- never signaled before 50 us
local T1
local inside                       -- T1's state right after the wait, still in kernel mode

local function do_wait()
  return syscall("NtWaitForSingleObject", function()
    local st = KeWaitForSingleObject(E, { mode = MODE, alertable = ALERTABLE })
    inside = state(T1)
    return st
  end)
end

T1 = thread { name = "T1", body = function()
  local st = do_wait()
  local t = now()
  rec("wait=" .. st)
  local s = state(T1)
  expect(status_is(st, WANT.status), WANT.status_msg .. st)
  expect(t == WANT.ends_at, WANT.ends_msg .. t)
  expect(flags_are(inside.Alerted, WANT.inside), WANT.inside_msg)
  expect(flags_are(s.Alerted, WANT.after), WANT.after_msg)
end }

thread { name = "T2", start_at = us(10), body = function()
  expect(state(T1).state == "Waiting", "T1 is blocked in its wait")
  expect(NtAlertThread(T1) == "STATUS_SUCCESS", "NtAlertThread returns STATUS_SUCCESS")
  local s = state(T1)
  expect((s.state == "Waiting") == WANT.t2_waiting, WANT.t2_waiting_msg .. s.state)
  expect(flags_are(s.Alerted, WANT.t2_flags), WANT.t2_flags_msg)
end }

at(us(50), function() KeSetEvent(E, 0) end)
