-- D6 [DIFF] / SU2 - the NtContinue that ends a special user APC does TestAlert when
-- a regular user APC was pending (SEMANTICS.md 1.C D6, 1.L SU2, Profiles table row
-- "NtContinue TestAlert after a special user APC (D6)": win10 "only if a regular user
-- APC was pending"; rules D6, SU2, AL5, D4, D5).
--
-- D6: "modern ntdll passes TestAlert from a flag bit supplied by the kernel (set only
-- when a regular user APC was pending)". SU2: "After a special APC, NtContinue does
-- not TestAlert unless a regular APC was pending". AL5: KeTestAlertThread(User)
-- "returns old Alerted[M]; if TRUE it clears it (and does not arm UAP); else if ...
-- the user list is non-empty it sets UAP".
-- Reading chosen ([UNCERTAIN] SU2): "a regular user APC was pending" = UAP was set
-- when the special APC was delivered (C26 shows that a merely queued U5 with UAP
-- clear does not count).
--
-- T1 waits in SleepEx(INFINITE, TRUE). T2 queues regular U6 (wakes T1, UAP set),
-- regular U7, alerts T1 (NtAlertThread: T1 is no longer waiting, so Alerted[U] is
-- set, AL2) and queues special F2. Return to user mode: F2 first (SU2); UAP was set,
-- so F2's NtContinue TestAlerts - that consumes Alerted[U] (AL5) and leaves UAP set;
-- U6 runs; its NtContinue TestAlert finds no alert and U7 queued -> UAP; U7 runs.
-- Had F2's NtContinue skipped the TestAlert, U6's would have consumed the alert
-- instead and U7 would be left queued.
-- args: --profile win10
machine { cpus = 2 }
expect(current_profile() == "win10", "run with --profile win10")

local app = process { name = "app" }
local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end

local T1
T1 = thread { name = "T1", process = app, affinity = 2, body = function()
  local r = SleepEx(INFINITE, true)
  rec("SleepEx=" .. tostring(r))
  local s = state(T1)
  expect(joined(log) == "queued F2 U6 U7 SleepEx=WAIT_IO_COMPLETION", "F2, then U6 and U7 drained: " .. joined(log))
  expect(#s.user_queue == 0, "no user APC left: " .. joined(s.user_queue))
  expect(s.Alerted.UserMode == false, "the alert was consumed by F2's NtContinue TestAlert (AL5)")
end }

thread { name = "T2", process = app, affinity = 1, start_at = us(10), body = function()
  expect(QueueUserAPC(function() rec("U6") end, T1, nil), "U6 queued")
  expect(QueueUserAPC(function() rec("U7") end, T1, nil), "U7 queued")
  NtAlertThread(T1)
  local s = state(T1)
  expect(s.UserApcPending and s.Alerted.UserMode, "UAP set by U6's wake, Alerted[U] set (AL2)")
  expect(QueueUserAPC2(function() rec("F2") end, T1, nil, QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC), "F2 accepted")
  rec("queued")
end }
