-- T4_T7_exit_apc_and_special_user_apc_win10: T4 "At the next return to user
-- mode, D4 dequeues the exit APC first ... Previously queued user APCs are
-- never executed"; T7: win10 keeps the same contract. A special user APC F
-- must never run in user mode after a termination, whether it was queued
-- before the termination (when=before: SU2 took a special user APC from
-- anywhere in the list and ran F first) or after the exit APC's kernel phase
-- put the exit APC at the head of the user list (when=after: F was inserted
-- ahead of it and ran first). Replay rebuilds the same order (replay_cli_test).
-- Rules: T3, T4, T7, SU2.
-- args: --profile win10 --param when=before
-- args: --profile win10 --param when=after
-- expect-no-dump: F runs in
-- expect-no-dump: T1 back in user code
-- expect-dump: APC_DEQUEUE SpecialUserApc state=0 list=UserMode why=2
machine { cpus = 2 }
local app = process { name = "app" }
local when = param("when", "before")
local T1
T1 = thread { name = "T1", process = app, affinity = 2, body = function()
  syscall("NtLongCall", function() compute(us(100)) return "STATUS_SUCCESS" end)
  mark("T1 back in user code")
end }
local function queue_f()
  expect(QueueUserAPC2(function() mark("F runs in " .. current_mode()) end, T1, nil,
                       QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC), "F accepted")
end
thread { name = "T2", process = app, affinity = 1, start_at = us(20), body = function()
  if when == "before" then queue_f() end
  expect(TerminateThread(T1, 7), "terminate")
  if when == "after" then
    compute(us(5))
    local s = state(T1)
    expect(table.concat(s.user_queue, ",") == "T1.ExitApc" and s.UserApcPending,
           "the exit APC's kernel phase ran: it heads the user list, UserApcPending set")
    queue_f()
    local q = table.concat(state(T1).user_queue, ",")
    expect(q == "T1.ExitApc,SpecialUserApc", "F goes behind the exit APC, got " .. q)
  end
end }
