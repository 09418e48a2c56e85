-- W6 matrix, column "kernel APC (SK or NK)", all four rows: Alertable/Non-alertable x KernelMode/UserMode (SEMANTICS.md 1.E W6; rules W6, W2, W3, I8, W4, K2).
-- One scenario, run once per row (the --param lines below; mode and alertable pick the row).
-- args: --param mode=KernelMode --param alertable=true
-- args: --param mode=UserMode --param alertable=true
-- args: --param mode=KernelMode --param alertable=false
-- args: --param mode=UserMode --param alertable=false
--
-- Cell: "delivered, wait continues".
-- Matrix conditions: object not signaled, WaitIrql = PASSIVE, CAD = 0, KAIP = FALSE.
-- Set-up (1 CPU): user thread T1 makes a system call that waits on event E with
-- KeWaitForSingleObject(E, {mode = MODE, alertable = ALERTABLE}) - what
-- NtWaitForSingleObject does for a UserMode wait; a driver's wait inside a system call for
-- a KernelMode one. The event arrives at 10 us; E is set at 50 us to end any wait that goes on.
-- A wait satisfied by E returns STATUS_WAIT_0; apcsim names it STATUS_SUCCESS (same value),
-- both names are accepted here (the name is checked in C03 and C23).
-- A DPC inserts SK S1 at 10 us and NK N1 at 20 us (both columns of "SK or NK").
local MODE, ALERTABLE = param("mode", "KernelMode"), param("alertable", true)
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
  expect(wait0(st), "the wait goes on until E is set: " .. st)
  expect(t == us(50), "the wait ended when E was set, at 50 us: " .. t)
  expect(joined(log) == "KR_S1@APC KR_N1@APC NR_N1@PASSIVE wait=" .. st, "S1 and N1 delivered inside the wait, which continued: " .. joined(log))
  expect(#s.kernel_queue == 0 and s.KernelApcPending == false, "kernel list empty, KAP FALSE")
end }

at(us(10), function()
  expect(state(T1).state == "Waiting", "T1 is blocked in its wait")
  local S1 = KeInitializeApc { thread = T1, name = "S1",
    kernel_routine = function()
      expect(current_thread() == T1, "KR_S1 runs in T1")
      rec("KR_S1@" .. at_irql())
    end }
  expect(KeInsertQueueApc(S1) == true, "S1 inserted")
  expect(state(T1).state ~= "Waiting", "S1 unwaited T1 (I8, STATUS_KERNEL_APC)")
end)
at(us(15), function()
  expect(joined(log) == "KR_S1@APC", "KR_S1 ran: " .. joined(log))
  expect(state(T1).state == "Waiting", "T1 is back in its wait (W4)")
end)
at(us(20), function()
  local N1 = KeInitializeApc { thread = T1, name = "N1",
    kernel_routine = function() rec("KR_N1@" .. at_irql()) end,
    normal_routine = function()
      expect(current_thread() == T1, "NR_N1 runs in T1")
      rec("NR_N1@" .. at_irql())
    end }
  expect(KeInsertQueueApc(N1) == true, "N1 inserted")
  expect(state(T1).state ~= "Waiting", "N1 unwaited T1 (I8, STATUS_KERNEL_APC)")
end)
at(us(25), function()
  expect(joined(log) == "KR_S1@APC KR_N1@APC NR_N1@PASSIVE", "N1 ran: " .. joined(log))
  expect(state(T1).state == "Waiting", "T1 is back in its wait (W4)")
end)

at(us(50), function() KeSetEvent(E, 0) end)
