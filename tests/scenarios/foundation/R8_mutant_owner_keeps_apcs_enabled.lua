-- R8_mutant_owner_keeps_apcs_enabled: a user-mode mutant (mutant{}) is a mutant
-- with ApcDisable = 0: owning it does not touch KernelApcDisable (contrast with
-- the KMUTEX of R8_kmutex_owner_has_kernel_apc_disable). Rules: R8, W1.
local m = mutant { name = "m" }
local done = false

thread { name = "owner", system = true, body = function()
    local me = current_thread()
    expect(KeWaitForSingleObject(m, {}) == "STATUS_WAIT_0", "acquire")
    expect(state(me).KernelApcDisable == 0, "mutant: KernelApcDisable stays 0, got " .. state(me).KernelApcDisable)
    expect(KeAreApcsDisabled() == false, "APCs not disabled")
    KeReleaseMutant(m, 0)
    expect(state(me).KernelApcDisable == 0, "still 0 after release")
    done = true
end }

at(ms(1), function() expect(done, "owner finished") end)
