-- Fuzz finding C (FIXED; apcsim bug, win10 profile; seeds 127, 154, 1026, ... exit 3).
--
-- A thread queues a special user APC to itself (NtQueueApcThreadEx with
-- QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC) inside a system call, then calls
-- KeTestAlertThread(UserMode): the user list is not empty, so AL5 sets
-- UserApcPending. On the way back to user mode the special APC is delivered
-- through the special path (SU2: SpecialUserApcPending), which dequeues it but
-- leaves UserApcPending TRUE; the NtContinue that ends it then returns to user
-- mode with UserApcPending set and an empty user list, and apcsim stops with
-- the scenario error "invariant D10 broken ... (KeFlushQueueApc on a thread
-- that is not exiting?)". The scenario did nothing wrong: the kernel itself
-- broke D10 (D4 clears UAP when it takes an APC; the special path must too,
-- or the regular D4 path must take the special APC when UAP is set).
--
-- Expected: the special APC runs once, the thread is back in user mode, exit 0.
machine { cpus = 1, profile = "win10" }
local T, ran = nil, 0
T = thread { name = "T", body = function()
  syscall("NtWork", function()
    NtQueueApcThreadEx(T, QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC, function() ran = ran + 1 end)
    KeTestAlertThread("UserMode")     -- AL5: the user list is not empty -> UserApcPending = TRUE
  end)
  expect(ran == 1, "the special user APC ran once before the thread went on: " .. ran)
  mark("back in user mode")
end }
