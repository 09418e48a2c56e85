-- D7_bugcheck_return_to_user_in_critical_region_unexpected_exit_4: the same leaked critical
-- region without expect_bugcheck: exit 4, APC_INDEX_MISMATCH on stderr.
-- Rules: D7, R4; API exit status 4.
-- expect-exit: 4
-- expect-stderr: APC_INDEX_MISMATCH
thread { name = "u", body = function()
    syscall("NtBuggyService", function() KeEnterCriticalRegion() end)
    expect(false, "not reached")
end }
