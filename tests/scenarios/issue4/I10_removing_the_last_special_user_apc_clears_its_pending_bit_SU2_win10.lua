-- I10 with SU2 (win10) - KeRemoveQueueApc of the last special user APC clears
-- the special-user-APC pending bit, as removing the last APC of a list clears
-- that list's pending flag (SEMANTICS.md 1.B I10, 1.L SU2).
--
-- Inside a system call T queues a special user APC F to itself (the internal
-- hook nt.lua's NtQueueApcThreadEx uses; the service does not hand the APC
-- back) and removes it again. With the bit left set, the return to user mode
-- would find a pending announcement and an empty user list (invariant D10, a
-- scenario error); cleared, T returns to user mode and F never runs.
-- args: --profile win10
machine { cpus = 1 }
local ran = false
local T
T = thread { name = "T", body = function()
  syscall("NtWork", function()
    local F = KeInitializeApc { thread = T, name = "F", mode = "UserMode", normal_routine = function() ran = true end }
    __special_user_apc(F)
    expect(KeInsertQueueApc(F), "F queued")
    expect(KeRemoveQueueApc(F) == true, "F was inserted: KeRemoveQueueApc returns TRUE (I10)")
    local s = state(T)
    expect(#s.user_queue == 0 and s.UserApcPending == false, "user list empty, UAP clear")
  end)
  expect(current_mode() == "UserMode" and not ran, "back in user mode; F never ran")
  mark("returned to user mode")
end }
