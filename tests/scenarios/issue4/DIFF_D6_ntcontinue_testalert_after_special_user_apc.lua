-- DIFF row "NtContinue TestAlert after a special user APC" (SEMANTICS.md 1.C D6
-- [DIFF], 1.L SU2, Profiles table last row; rules D6, SU2, SU1, W2, D4, D5).
--
-- Profiles: "NtContinue TestAlert after a special user APC (D6) | nt52: n/a |
-- reactos: n/a | win10: only if a regular user APC was pending". D6: "NtContinue(ctx,
-- TestAlert=TRUE) ... if the user list is still non-empty UAP becomes TRUE and the
-- next APC is delivered on the very same exit ... [DIFF] modern ntdll passes
-- TestAlert from a flag bit supplied by the kernel (set only when a regular user APC
-- was pending) - after a *special* user APC the chain does not pick up regular APCs."
--
-- One script, run under nt52 and under win10. T1 computes 300 us of user code on
-- CPU 1, then calls SleepEx(0, TRUE). At 100 us T2 (CPU 0) queues special F1, then
-- regular U5 and U6 (T1 is running: no UAP, I8). Each routine computes 10 us.
--   win10: F1 interrupts T1 and runs; the NtContinue that ends it does not
--          TestAlert (no regular APC was pending: UAP clear), so U5 and U6 stay
--          queued with UAP FALSE until the SleepEx, which runs both (W2b, then the
--          NtContinue after U5 - a regular APC - does TestAlert and picks up U6).
--   nt52:  no special user APCs (F1 refused, STATUS_NOT_SUPPORTED): nothing
--          interrupts T1; the SleepEx runs U5 and U6 the same way (D6).
-- args: --profile nt52
-- args: --profile win10
machine { cpus = 2 }
local WANT = ({
  nt52 = { special = false,
    log = "queued work-done@300 U5@300 U6@310 SleepEx=WAIT_IO_COMPLETION" },
  win10 = { special = true,
    log = "queued F1@100 work-done@310 U5@310 U6@320 SleepEx=WAIT_IO_COMPLETION" },
})[current_profile()]

local app = process { name = "app" }
local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local function R(tag) return function() rec(tag .. "@" .. now() // 1000) compute(us(10)) end end

local T1
T1 = thread { name = "T1", process = app, affinity = 2, body = function()
  compute(us(300))
  rec("work-done@" .. now() // 1000)
  local s = state(T1)
  expect(joined(s.user_queue) == "UserApc UserApc" and s.UserApcPending == false,
         "U5 and U6 still queued, UAP FALSE: " .. joined(s.user_queue))
  local r = SleepEx(0, true)
  rec("SleepEx=" .. tostring(r))
  expect(r == "WAIT_IO_COMPLETION", "the alertable SleepEx runs them")
  expect(#state(T1).user_queue == 0, "both ran")
  expect(joined(log) == WANT.log, current_profile() .. ": " .. joined(log))
end }

thread { name = "T2", process = app, affinity = 1, start_at = us(100), body = function()
  expect(WANT ~= nil, "run with --profile nt52 or --profile win10, not " .. current_profile())
  local f1 = QueueUserAPC2(R("F1"), T1, nil, QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC)
  expect(f1 == WANT.special, "QueueUserAPC2(special) = " .. tostring(f1))
  expect(QueueUserAPC(R("U5"), T1, nil) and QueueUserAPC(R("U6"), T1, nil), "U5, U6 queued")
  rec("queued")
end }
