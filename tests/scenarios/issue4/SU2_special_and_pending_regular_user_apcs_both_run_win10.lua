-- SU2 - a special user APC and a pending regular user APC at the same return to
-- user mode: both run, the special one first (SEMANTICS.md 1.L; rules SU2, SU1, D4,
-- D5, D6, W2, I8).
--
-- SU2: "KiDeliverApc's user phase takes the first special user APC anywhere in the
-- user list even when the regular UAP bit is clear, otherwise the head when UAP is
-- set; special ones are inserted ahead of regular ones. After a special APC,
-- NtContinue does not TestAlert unless a regular APC was pending (D6)." D5: at most
-- one user NR per transition to user mode; D6: NtContinue(TestAlert) drains the rest.
--
-- T1 waits in SleepEx(INFINITE, TRUE). At 10 us T2 queues regular U6 - it wakes T1
-- with STATUS_USER_APC and sets UAP (I8) - and right after it special F2 (T1 is no
-- longer waiting: only the special pending bit). On T1's way back to user mode F2
-- runs first (special first), then U6 (UAP was set: a regular APC was pending),
-- then SleepEx returns WAIT_IO_COMPLETION. Each routine runs in user mode, one per
-- kernel exit.
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
  expect(r == "WAIT_IO_COMPLETION", "the wait reports the user APCs")
  local s = state(T1)
  expect(#s.user_queue == 0 and not s.UserApcPending, "both APCs consumed")
  expect(joined(log) == "queued F2/UserMode U6/UserMode SleepEx=WAIT_IO_COMPLETION", "order: " .. joined(log))
end }

thread { name = "T2", process = app, affinity = 1, start_at = us(10), body = function()
  expect(QueueUserAPC(function() rec("U6/" .. current_mode()) end, T1, nil), "U6 queued")
  expect(state(T1).state ~= "Waiting" and state(T1).UserApcPending, "U6 woke T1, UAP set (I8)")
  expect(QueueUserAPC2(function() rec("F2/" .. current_mode()) end, T1, nil, QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC),
         "F2 accepted (win10)")
  rec("queued")
end }
