-- W6 matrix, column "user APC queued", all four rows: Alertable/Non-alertable x KernelMode/UserMode (SEMANTICS.md 1.E W6; rules W6, W2, W3, I8, D4).
-- One scenario, run once per row (the --param lines below; mode and alertable pick the row,
-- WANT holds that row's cell).
-- args: --param mode=KernelMode --param alertable=true
-- args: --param mode=UserMode --param alertable=true
-- args: --param mode=KernelMode --param alertable=false
-- args: --param mode=UserMode --param alertable=false
--
-- Cells: AU "returns STATUS_USER_APC; APCs run on exit"; AK "not woken, APC stays queued,
-- UAP unchanged"; NK "not woken"; NU "not woken (unless UAP already TRUE -> STATUS_USER_APC)".
-- Matrix conditions: object not signaled, WaitIrql = PASSIVE, CAD = 0, KAIP = FALSE.
-- Set-up (1 CPU): user thread T1 makes a system call that waits on event E with
-- KeWaitForSingleObject(E, {mode = MODE, alertable = ALERTABLE}) - what
-- NtWaitForSingleObject does for a UserMode wait; a driver's wait inside a system call for
-- a KernelMode one. The event arrives at 10 us; E is set at 50 us to end any wait that goes on.
-- A wait satisfied by E returns STATUS_WAIT_0; apcsim names it STATUS_SUCCESS (same value),
-- both names are accepted here (the name is checked in C03 and C23).
-- The user APC U1 is queued by user thread T2 with a system call doing what
-- NtQueueApcThread does (UserMode APC, Increment 0) but with logging routines.
-- The NU "unless UAP already TRUE" clause is tested in W6_NU_user_apc_uap_set_by_kernel_routine
-- and W7_uap_set__nonalertable_waits_W2_AL5_D4_D5.
local MODE, ALERTABLE = param("mode", "KernelMode"), param("alertable", true)
expect((MODE == "KernelMode" or MODE == "UserMode") and type(ALERTABLE) == "boolean",
       "run with --param mode=KernelMode|UserMode --param alertable=true|false")
machine { cpus = 1 }

-- A field set to nil is not checked in that row.
local NOT_WOKEN = {                -- AK, NK, NU
  status = "STATUS_WAIT_0",        -- STATUS_WAIT_0 stands for either name (wait0)
  status_msg = "the wait goes on until E is set: ",
  ends_at = us(50), ends_msg = "the wait ended when E was set, at 50 us: ",
  log = nil,                       -- nil: "wait=" .. the status, nothing else
  log_msg = "U1 not delivered, not even on the exit (UAP FALSE): ",
  inside_uap = false, queue_len = nil, uap_msg = "UAP unchanged (FALSE)",
  queue = "U1", queue_msg = "U1 stays queued: ",
  t2_waiting = true, t2_waiting_msg = "T1 not woken: ",
  t2_uap = false, t2_uap_msg = "UAP unchanged (FALSE)",
}
local WANT = ({
  AK = NOT_WOKEN,
  AU = {
    status = "STATUS_USER_APC", status_msg = "the wait returns STATUS_USER_APC: ",
    ends_at = us(10), ends_msg = "woken at once by the insertion (I8): ",
    log = "KR_U1@APC NR_U1@user wait=STATUS_USER_APC",
    log_msg = "U1 ran on the exit, before the caller resumed (D4): ",
    inside_uap = nil, queue_len = 0, uap_msg = "queue empty, UAP FALSE",
    queue = nil,
    t2_waiting = false, t2_waiting_msg = "U1's insertion unwaited T1 (I8): ",
    t2_uap = true, t2_uap_msg = "UAP = TRUE (I8)",
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
  expect(joined(log) == (WANT.log or "wait=" .. st), WANT.log_msg .. joined(log))
  expect((WANT.inside_uap == nil or inside.UserApcPending == WANT.inside_uap)
         and (WANT.queue_len == nil or #s.user_queue == WANT.queue_len)
         and s.UserApcPending == false, WANT.uap_msg)
  if WANT.queue ~= nil then
    expect(joined(s.user_queue) == WANT.queue, WANT.queue_msg .. joined(s.user_queue))
  end
end }

thread { name = "T2", start_at = us(10), body = function()
  expect(state(T1).state == "Waiting", "T1 is blocked in its wait")
  local ok = syscall("NtQueueApcThread", function()
    local a = KeInitializeApc { thread = T1, name = "U1", mode = "UserMode",
      kernel_routine = function() rec("KR_U1@" .. at_irql()) end,
      normal_routine = function()
        expect(current_mode() == "UserMode", "NR_U1 in user mode")
        rec("NR_U1@user")
      end }
    return KeInsertQueueApc(a, nil, nil, 0)
  end)
  expect(ok == true, "U1 queued")
  local s = state(T1)
  expect((s.state == "Waiting") == WANT.t2_waiting, WANT.t2_waiting_msg .. s.state)
  expect(s.UserApcPending == WANT.t2_uap, WANT.t2_uap_msg)
  if WANT.queue ~= nil then
    expect(joined(s.user_queue) == WANT.queue, "U1 queued")
  end
end }

at(us(50), function() KeSetEvent(E, 0) end)
