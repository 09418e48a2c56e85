-- Bugcheck APC_INDEX_MISMATCH: a system call that returns to user mode inside a
-- guarded region (SEMANTICS.md 1.C D7; rules D7, R5, R7).
--
-- D7: "Returning to user mode with CAD != 0 or Idx != 0 is a fatal error (bugcheck
-- APC_INDEX_MISMATCH ...)." CAD is KAD and SAD viewed together: a leaked guarded
-- region (SAD = -1, KAD = 0) is enough. (The critical-region case is
-- tests/scenarios/foundation/D7_bugcheck_return_to_user_in_critical_region*.lua.)
machine { cpus = 1 }
expect_bugcheck("APC_INDEX_MISMATCH")

local T1
T1 = thread { name = "T1", body = function()
  syscall("NtLeakyGuard", function()
    KeEnterGuardedRegion()
    local s = state(T1)
    expect(s.SpecialApcDisable == -1 and s.KernelApcDisable == 0 and KeAreApcsDisabled(), "CAD != 0 via SAD only")
  end)
  expect(false, "not reached")
end }
