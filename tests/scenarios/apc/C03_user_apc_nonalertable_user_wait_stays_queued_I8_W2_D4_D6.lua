-- C03 - User APC to a non-alertable user-mode waiter stays queued
-- (SEMANTICS.md 2, C03; rules I8, W2, D4, D5, D6).
--
-- Case: "T1 in NtWaitForSingleObject(E, Alertable=FALSE) (UserMode, blocked).
-- t=1: T2 queues U1 to T1 (NtQueueApcThread). t=2: T2 sets E. t=3: T1, back in
-- user mode, calls NtDelayExecution(Alertable=TRUE, 1 s). Expected: t=1 T1 stays
-- Waiting, UAP FALSE, U1 queued. t=2 wait returns STATUS_WAIT_0; exit to user
-- delivers nothing. t=3: W2b sets UAP and returns STATUS_USER_APC without
-- blocking; on exit KR_U1@APC, NR_U1 user, NtContinue finds the list empty; the
-- delay returns STATUS_USER_APC immediately (Win32 SleepEx -> WAIT_IO_COMPLETION),
-- no 1 s sleep. (I8, W2, D4-D6)"
--
-- U1 is queued by a system call that does what NtQueueApcThread does (a
-- UserMode APC, increment 0) but with a logging kernel routine, so KR_U1 can be
-- seen. The SleepEx part repeats the t=3 step through Win32 with a second APC U2.
machine { cpus = 1 }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local IRQL = { [0] = "PASSIVE", [1] = "APC", [2] = "DISPATCH" }
local function at_irql() return IRQL[current_irql()] or tostring(current_irql()) end

local E = event { name = "E" }
local T1
local wait_status

local function queue_user_apc(target, name)       -- NtQueueApcThread with a logging KR
  return syscall("NtQueueApcThread", function()
    local a = KeInitializeApc { thread = target, name = name, mode = "UserMode", context = name,
      kernel_routine = function() rec("KR_" .. name .. "@" .. at_irql()) end,
      normal_routine = function(ctx)
        expect(current_mode() == "UserMode", "NR_" .. name .. " runs in user mode (D9)")
        expect(state(T1).UserApcPending == false, "UAP cleared by D4 before NR_" .. name)
        rec("NR_" .. ctx .. "@user")
      end }
    return KeInsertQueueApc(a, nil, nil, 0) and "STATUS_SUCCESS" or "STATUS_UNSUCCESSFUL"
  end)
end

T1 = thread { name = "T1", body = function()
  local st = NtWaitForSingleObject(E, false)
  wait_status = st
  rec("wait=" .. st)
  expect(st == "STATUS_WAIT_0" or st == "STATUS_SUCCESS", "the non-alertable wait ends by the event: " .. st)
  expect(now() == us(2), "the wait ended at t=2 us, when E was set")
  local s = state(T1)
  expect(joined(log) == "wait=" .. wait_status, "exit to user delivered nothing: " .. joined(log))
  expect(s.UserApcPending == false, "UAP still FALSE after the wait")
  expect(joined(s.user_queue) == "U1", "U1 still queued: " .. joined(s.user_queue))
  compute(us(1))
  local t0 = now()
  st = NtDelayExecution(true, sec(1))
  rec("delay=" .. st)
  expect(st == "STATUS_USER_APC", "alertable delay returns STATUS_USER_APC (W2b): " .. st)
  expect(now() == t0, "no sleep: returned at once")
  expect(joined(log) == "wait=" .. wait_status .. " KR_U1@APC NR_U1@user delay=STATUS_USER_APC",
         "U1 delivered on the way out of the delay (D4-D6): " .. joined(log))
  s = state(T1)
  expect(#s.user_queue == 0 and s.UserApcPending == false, "user list empty, UAP FALSE after delivery")
  -- Same through Win32: SleepEx returns WAIT_IO_COMPLETION.
  queue_user_apc(T1, "U2")
  expect(state(T1).UserApcPending == false, "self-queued U2 does not set UAP (I7)")
  local r = SleepEx(1000, true)
  expect(r == "WAIT_IO_COMPLETION", "SleepEx returns WAIT_IO_COMPLETION: " .. tostring(r))
  expect(now() < ms(1), "SleepEx did not sleep")
  expect(log[#log] == "NR_U2@user", "NR_U2 ran before SleepEx returned: " .. joined(log))
  -- Last, the status name: SEMANTICS and SCENARIO_API call a wait satisfied by
  -- object 0 STATUS_WAIT_0 (numerically equal to STATUS_SUCCESS).
  expect(wait_status == "STATUS_WAIT_0", "wait on E returns the name STATUS_WAIT_0, got " .. wait_status)
end }

thread { name = "T2", start_at = us(1), body = function()
  expect(state(T1).state == "Waiting", "T1 blocked in its wait at t=1")
  expect(queue_user_apc(T1, "U1") == "STATUS_SUCCESS", "U1 queued")
  local s = state(T1)
  expect(s.state == "Waiting", "t=1: T1 stays Waiting (non-alertable, I8)")
  expect(s.UserApcPending == false, "t=1: UAP FALSE")
  expect(joined(s.user_queue) == "U1", "t=1: U1 queued")
  expect(#log == 0, "nothing ran")
  compute(us(1))                        -- until t=2
  expect(now() == us(2), "t=2")
  NtSetEvent(E)
end }
