-- C25 invariant check - UAP = TRUE with an empty user list at a return to user
-- mode is flagged (SEMANTICS.md 2, C25; rules D10, I11, AL5).
--
-- Case: "Invariant check: a return to user mode in this state would make the
-- ReactOS exit loop spin (UAP never cleared because the user list is empty); the
-- kernel only flushes on exiting threads, which never return to user mode - the
-- simulator should flag UAP = TRUE with an empty user list as an invariant breach."
-- D10: "A simulator should assert it."
-- A user thread arms UAP over a queued user APC (KeTestAlertThread, AL5), flushes
-- its user queue (I11: UAP stays TRUE) and returns to user mode. apcsim reports
-- this as a scenario error (exit 3) naming D10; the run must not hang or crash.
-- expect-exit: 3
-- expect-stderr: D10
machine { cpus = 1 }

local T1
T1 = thread { name = "T1", body = function()
  syscall("NtBroken", function()
    local a = KeInitializeApc { thread = T1, name = "U1", mode = "UserMode", normal_routine = function() end }
    KeInsertQueueApc(a)
    KeTestAlertThread("UserMode")
    expect(state(T1).UserApcPending == true, "UAP armed")
    KeFlushQueueApc(T1, "UserMode")
    local s = state(T1)
    expect(s.UserApcPending == true and #s.user_queue == 0, "UAP TRUE, user list empty (I11)")
  end)
  expect(false, "the return to user mode with UAP and an empty user list must be flagged (D10)")
end }
