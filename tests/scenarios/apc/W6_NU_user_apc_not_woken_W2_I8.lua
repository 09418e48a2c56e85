-- W6 matrix, row "Non-alertable, UserMode" x column "user APC queued" (SEMANTICS.md 1.E W6; rules W6, W2, W3, I8).
--
-- Cell: "not woken (unless UAP already TRUE -> STATUS_USER_APC)".
-- Matrix conditions: object not signaled, WaitIrql = PASSIVE, CAD = 0, KAIP = FALSE.
-- Set-up (1 CPU): user thread T1 makes a system call that waits on event E with
-- KeWaitForSingleObject(E, {mode = "UserMode", alertable = false}) - what
-- NtWaitForSingleObject does for a UserMode wait; a driver's wait inside a system call for
-- a KernelMode one. The event arrives at 10 us; E is set at 50 us to end any wait that goes on.
-- A wait satisfied by E returns STATUS_WAIT_0; apcsim names it STATUS_SUCCESS (same value),
-- both names are accepted here (the name is checked in C03 and C23).
-- The user APC U1 is queued by user thread T2 with a system call doing what
-- NtQueueApcThread does (UserMode APC, Increment 0) but with logging routines.
-- The "unless UAP already TRUE" clause is tested in W6_NU_user_apc_uap_set_by_kernel_routine
-- and W7_uap_set_nonalertable_user_wait.
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
  expect(joined(log) == "wait=" .. st, "U1 not delivered, not even on the exit (UAP FALSE): " .. joined(log))
  expect(inside.UserApcPending == false and s.UserApcPending == false, "UAP unchanged (FALSE)")
  expect(joined(s.user_queue) == "U1", "U1 stays queued: " .. joined(s.user_queue))
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
  expect(s.state == "Waiting", "T1 not woken: " .. s.state)
  expect(s.UserApcPending == false, "UAP unchanged (FALSE)")
  expect(joined(s.user_queue) == "U1", "U1 queued")
end }

at(us(50), function() KeSetEvent(E, 0) end)
