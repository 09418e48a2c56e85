-- W6 matrix, columns "NtAlertThread (Alert U)" and "KeAlertThread(K) / KeAlertResumeThread" (both
-- halves), all four rows: Alertable/Non-alertable x KernelMode/UserMode
-- (SEMANTICS.md 1.E W6; rules W6, W2, W3, AL2, AL3, D7).
-- One scenario, run once per cell (the --param lines below; alert picks the alerting call,
-- mode and alertable pick the row, WANT[alert][row] holds that cell).
-- args: --param alert=NtAlertThread --param mode=KernelMode --param alertable=true
-- args: --param alert=NtAlertThread --param mode=UserMode --param alertable=true
-- args: --param alert=NtAlertThread --param mode=KernelMode --param alertable=false
-- args: --param alert=NtAlertThread --param mode=UserMode --param alertable=false
-- args: --param alert=KeAlertThread --param mode=KernelMode --param alertable=true
-- args: --param alert=KeAlertThread --param mode=UserMode --param alertable=true
-- args: --param alert=KeAlertThread --param mode=KernelMode --param alertable=false
-- args: --param alert=KeAlertThread --param mode=UserMode --param alertable=false
-- args: --param alert=KeAlertResumeThread --param mode=KernelMode --param alertable=true
-- args: --param alert=KeAlertResumeThread --param mode=UserMode --param alertable=true
-- args: --param alert=KeAlertResumeThread --param mode=KernelMode --param alertable=false
-- args: --param alert=KeAlertResumeThread --param mode=UserMode --param alertable=false
--
-- Cells, NtAlertThread: AU "returns STATUS_ALERTED"; AK "not woken; `Alerted[U]=TRUE`";
-- NK, NU "`Alerted[U]=TRUE`".
-- Cells, KeAlertThread(K) / KeAlertResumeThread: AU, AK "returns STATUS_ALERTED";
-- NK "`Alerted[K]=TRUE`"; NU "`Alerted[K]=TRUE` (KeAlertResumeThread: flag only)".
-- Matrix conditions: object not signaled, WaitIrql = PASSIVE, CAD = 0, KAIP = FALSE.
-- Set-up (1 CPU): user thread T1 makes a system call that waits on event E with
-- KeWaitForSingleObject(E, {mode = MODE, alertable = ALERTABLE}) - what
-- NtWaitForSingleObject does for a UserMode wait; a driver's wait inside a system call for
-- a KernelMode one. The event arrives at 10 us; E is set at 50 us to end any wait that goes on.
-- A wait satisfied by E returns STATUS_WAIT_0; apcsim names it STATUS_SUCCESS (same value),
-- both names are accepted here (the name is checked in C03 and C23).
-- The alert at 10 us, by ALERT:
--   NtAlertThread:       user thread T2 calls NtAlertThread(T1) (KeAlertThread with
--                        PreviousMode = UserMode).
--   KeAlertThread:       a DPC calls KeAlertThread(T1, KernelMode).
--   KeAlertResumeThread: a DPC calls KeAlertResumeThread(T1) on the non-suspended T1 (AL3: uses
--                        Alerted[K]; an alertable waiter of any WaitMode is unwaited, otherwise
--                        the flag is set; then it acts as KeResumeThread and returns the previous
--                        suspend count, 0 here).
local ALERT = param("alert", "NtAlertThread")
local MODE, ALERTABLE = param("mode", "KernelMode"), param("alertable", true)
expect(ALERT == "NtAlertThread" or ALERT == "KeAlertThread" or ALERT == "KeAlertResumeThread",
       "run with --param alert=NtAlertThread|KeAlertThread|KeAlertResumeThread")
expect((MODE == "KernelMode" or MODE == "UserMode") and type(ALERTABLE) == "boolean",
       "run with --param mode=KernelMode|UserMode --param alertable=true|false")
machine { cpus = 1 }

-- inside, after: the Alerted flags expected right after the wait (still in kernel mode) and
-- back in user mode; t2_flags (NtAlertThread, T2) / dpc_flags (the DPC): right after the
-- alerting call. Flags not listed are not checked.
local NT_NOT_WOKEN = {             -- NtAlertThread: AK, NK, NU
  status = "STATUS_WAIT_0",        -- STATUS_WAIT_0 stands for either name (wait0)
  status_msg = "the wait goes on until E is set: ",
  ends_at = us(50), ends_msg = "the wait ended when E was set, at 50 us: ",
  inside = { UserMode = true }, inside_msg = "Alerted[U] = TRUE after the wait",
  after = { UserMode = true }, after_msg = "Alerted[U] still TRUE in user mode (only Alerted[K] is cleared by D7)",
  t2_waiting = true, t2_waiting_msg = "T1 not woken: ",
  t2_flags = { UserMode = true }, t2_flags_msg = "Alerted[U] = TRUE (AL2)",
}
local KAT_WOKEN = {                -- KeAlertThread(K): AK, AU
  status = "STATUS_ALERTED", status_msg = "the wait returns STATUS_ALERTED: ",
  ends_at = us(10), ends_msg = "woken at once by the alert: ",
  inside = { KernelMode = false }, inside_msg = "the alert that unwaits leaves Alerted[K] FALSE (AL2)",
  after = { UserMode = false, KernelMode = false }, after_msg = "no alert flag left",
  dpc_waiting = false, dpc_waiting_msg = "the alert unwaited T1 (AL2): ",
  dpc_flags = { KernelMode = false }, dpc_flags_msg = "Alerted[K] left FALSE (AL2)",
}
local KAT_NOT_WOKEN = {            -- KeAlertThread(K): NK, NU
  status = "STATUS_WAIT_0",        -- STATUS_WAIT_0 stands for either name (wait0)
  status_msg = "the wait goes on until E is set: ",
  ends_at = us(50), ends_msg = "the wait ended when E was set, at 50 us: ",
  inside = { KernelMode = true }, inside_msg = "Alerted[K] = TRUE right after the wait, still in kernel mode",
  after = { KernelMode = false }, after_msg = "Alerted[K] cleared by the return to user mode (D7)",
  dpc_waiting = true, dpc_waiting_msg = "T1 not woken: ",
  dpc_flags = { KernelMode = true }, dpc_flags_msg = "Alerted[K] = TRUE (AL2)",
}
local KART_WOKEN = {               -- KeAlertResumeThread: AK, AU
  status = "STATUS_ALERTED", status_msg = "the wait returns STATUS_ALERTED: ",
  ends_at = us(10), ends_msg = "woken at once by the alert: ",
  inside = { KernelMode = false }, inside_msg = "the alert that unwaits leaves Alerted[K] FALSE (AL3)",
  after = { UserMode = false, KernelMode = false }, after_msg = "no alert flag left",
  dpc_waiting = false, dpc_waiting_msg = "the alert unwaited T1 (AL3): ",
  dpc_flags = { KernelMode = false }, dpc_flags_msg = "Alerted[K] left FALSE (AL3)",
}
local KART_NOT_WOKEN = {           -- KeAlertResumeThread: NK, NU
  status = "STATUS_WAIT_0",        -- STATUS_WAIT_0 stands for either name (wait0)
  status_msg = "the wait goes on until E is set: ",
  ends_at = us(50), ends_msg = "the wait ended when E was set, at 50 us: ",
  inside = { KernelMode = true }, inside_msg = "Alerted[K] = TRUE right after the wait, still in kernel mode",
  after = { KernelMode = false }, after_msg = "Alerted[K] cleared by the return to user mode (D7)",
  dpc_waiting = true, dpc_waiting_msg = "T1 not woken (AL3: only alertable waits): ",
  dpc_flags = { KernelMode = true }, dpc_flags_msg = "Alerted[K] = TRUE (AL3)",
}
local WANT = ({
  NtAlertThread = {
    AK = NT_NOT_WOKEN,
    AU = {
      status = "STATUS_ALERTED", status_msg = "the wait returns STATUS_ALERTED: ",
      ends_at = us(10), ends_msg = "woken at once by the alert: ",
      inside = { UserMode = false }, inside_msg = "the alert that unwaits leaves Alerted[U] FALSE (AL2)",
      after = { UserMode = false, KernelMode = false }, after_msg = "no alert flag left",
      t2_waiting = false, t2_waiting_msg = "the alert unwaited T1 (AL2): ",
      t2_flags = { UserMode = false }, t2_flags_msg = "Alerted[U] left FALSE (AL2)",
    },
    NK = NT_NOT_WOKEN,
    NU = NT_NOT_WOKEN,
  },
  KeAlertThread = { AK = KAT_WOKEN, AU = KAT_WOKEN, NK = KAT_NOT_WOKEN, NU = KAT_NOT_WOKEN },
  KeAlertResumeThread = { AK = KART_WOKEN, AU = KART_WOKEN, NK = KART_NOT_WOKEN, NU = KART_NOT_WOKEN },
})[ALERT][(ALERTABLE and "A" or "N") .. (MODE == "KernelMode" and "K" or "U")]

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

if ALERT == "NtAlertThread" then
  thread { name = "T2", start_at = us(10), body = function()
    expect(state(T1).state == "Waiting", "T1 is blocked in its wait")
    expect(NtAlertThread(T1) == "STATUS_SUCCESS", "NtAlertThread returns STATUS_SUCCESS")
    local s = state(T1)
    expect((s.state == "Waiting") == WANT.t2_waiting, WANT.t2_waiting_msg .. s.state)
    expect(flags_are(s.Alerted, WANT.t2_flags), WANT.t2_flags_msg)
  end }
elseif ALERT == "KeAlertThread" then
  at(us(10), function()
    expect(state(T1).state == "Waiting", "T1 is blocked in its wait")
    expect(KeAlertThread(T1, "KernelMode") == false, "KeAlertThread returns the old Alerted[K] = FALSE")
    local s = state(T1)
    expect((s.state == "Waiting") == WANT.dpc_waiting, WANT.dpc_waiting_msg .. s.state)
    expect(flags_are(s.Alerted, WANT.dpc_flags), WANT.dpc_flags_msg)
  end)
else -- KeAlertResumeThread
  at(us(10), function()
    expect(state(T1).state == "Waiting", "T1 is blocked in its wait")
    expect(KeAlertResumeThread(T1) == 0, "KeAlertResumeThread returns the previous suspend count, 0 (AL3)")
    local s = state(T1)
    expect((s.state == "Waiting") == WANT.dpc_waiting, WANT.dpc_waiting_msg .. s.state)
    expect(flags_are(s.Alerted, WANT.dpc_flags), WANT.dpc_flags_msg)
    expect(s.SuspendCount == 0, "suspend count unchanged (0)")
  end)
end

at(us(50), function() KeSetEvent(E, 0) end)
