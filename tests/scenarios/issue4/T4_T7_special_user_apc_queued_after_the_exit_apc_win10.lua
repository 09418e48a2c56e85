-- T4_T7_special_user_apc_queued_after_the_exit_apc_win10: a special user APC
-- queued after the termination's kernel phase (the exit APC already heads the
-- user list, UserApcPending set) goes behind the exit APC, not ahead of it
-- (SU2 puts specials ahead of regular APCs, but nothing runs in user mode
-- after a termination: T3, T4, T7). It was inserted first and ran in user
-- mode. Replay rebuilds the same order. Rules: T3, T4, T7, SU2.
-- args: --profile win10
-- expect-no-dump: F runs in
-- expect-dump: F queued: user_queue=T1.ExitApc,SpecialUserApc
machine { cpus = 2 }
local app = process { name = "app" }
local T1
T1 = thread { name = "T1", process = app, affinity = 2, body = function()
  syscall("NtLongCall", function() compute(us(100)) return "STATUS_SUCCESS" end)
  mark("T1 back in user code")
end }
thread { name = "T2", process = app, affinity = 1, start_at = us(20), body = function()
  expect(TerminateThread(T1, 7), "terminate")
  compute(us(5))
  local s = state(T1)
  mark("after exit NK: user_queue=" .. table.concat(s.user_queue, ",") .. " UAP=" .. tostring(s.UserApcPending))
  expect(QueueUserAPC2(function() mark("F runs in " .. current_mode()) end, T1, nil,
                       QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC), "F accepted")
  mark("F queued: user_queue=" .. table.concat(state(T1).user_queue, ","))
end }
