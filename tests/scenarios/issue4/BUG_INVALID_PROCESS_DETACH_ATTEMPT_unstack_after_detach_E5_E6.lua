-- BUG_INVALID_PROCESS_DETACH_ATTEMPT_unstack_after_detach_E5_E6: a
-- KeStackAttachProcess, then KeDetachProcess (which always restores
-- SavedApcState, E6), then KeUnstackDetachProcess of the now stale buffer:
-- ApcStateIndex is 0, there is no attached state to restore, and WRK's
-- KeUnstackDetachProcess bugchecks INVALID_PROCESS_DETACH_ATTEMPT (it
-- crashed the simulator with SIGSEGV). Rules: E5, E6.
-- expect-dump: T1 BUGCHECK 0x00000006
expect_bugcheck("INVALID_PROCESS_DETACH_ATTEMPT")
machine { cpus = 1 }
local P2 = process { name = "P2" }
local T1
T1 = thread { name = "T1", system = true, body = function()
  local B = KeStackAttachProcess(P2)
  KeDetachProcess()
  expect(state(T1).ApcStateIndex == 0, "KeDetachProcess restored the home state")
  KeUnstackDetachProcess(B)
  expect(false, "not reached: the unstack bugchecks")
end }
