-- ERR_release_mutant_not_owned: KeReleaseMutant by a thread that does not own
-- the mutant raises STATUS_MUTANT_NOT_OWNED in NT; no driver code catches it
-- here, so apcsim ends the run with a scenario error at the caller's
-- file:line naming that status. Rules: W1 (mutant ownership); API scenario
-- errors.
-- expect-exit: 3
-- expect-stderr: ERR_release_mutant_not_owned.lua:12:
-- expect-stderr: STATUS_MUTANT_NOT_OWNED
local m = mutant { name = "m" }

thread { name = "k", system = true, body = function()
    KeReleaseMutant(m, 0)
    expect(false, "not reached")
end }
