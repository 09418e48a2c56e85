-- W6 matrix, row "Alertable, UserMode" x column "user APC queued" (SEMANTICS.md 1.E W6; rules W6, W2, W3, I8, D4).
--
-- Cell: "returns STATUS_USER_APC; APCs run on exit".
-- Matrix conditions: object not signaled, WaitIrql = PASSIVE, CAD = 0, KAIP = FALSE.
-- Set-up (1 CPU): user thread T1 makes a system call that waits on event E with
-- KeWaitForSingleObject(E, {mode = "UserMode", alertable = true}) - what
-- NtWaitForSingleObject does for a UserMode wait; a driver's wait inside a system call for
-- a KernelMode one. The event arrives at 10 us; E is set at 50 us to end any wait that goes on.
-- A wait satisfied by E returns STATUS_WAIT_0; apcsim names it STATUS_SUCCESS (same value),
-- both names are accepted here (the name is checked in C03 and C23).
-- The user APC U1 is queued by user thread T2 with a system call doing what
-- NtQueueApcThread does (UserMode APC, Increment 0) but with logging routines.
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
  expect(st == "STATUS_USER_APC", "the wait returns STATUS_USER_APC: " .. st)
  expect(t == us(10), "woken at once by the insertion (I8): " .. t)
  expect(joined(log) == "KR_U1@APC NR_U1@user wait=STATUS_USER_APC", "U1 ran on the exit, before the caller resumed (D4): " .. joined(log))
  expect(#s.user_queue == 0 and s.UserApcPending == false, "queue empty, UAP FALSE")
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
  expect(s.state ~= "Waiting", "U1's insertion unwaited T1 (I8): " .. s.state)
  expect(s.UserApcPending == true, "UAP = TRUE (I8)")
end }

at(us(50), function() KeSetEvent(E, 0) end)
