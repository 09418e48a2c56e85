-- R8_kmutex_owner_has_kernel_apc_disable: acquiring a KMUTEX (mutex{})
-- decrements KernelApcDisable as part of satisfying the wait (an implicit
-- critical region): KernelApcDisable == -1 and KeAreApcsDisabled() while it is
-- owned; a recursive acquisition does not decrement again (only the first
-- acquisition takes ownership); the last release restores 0.
-- Rules: R8, R4, R7, W1.
local mx = mutex { name = "mx" }
local done = false

thread { name = "owner", system = true, body = function()
    local me = current_thread()
    expect(state(me).KernelApcDisable == 0 and not KeAreApcsDisabled(), "not disabled before")
    expect(KeWaitForSingleObject(mx, {}) == "STATUS_WAIT_0", "acquire")
    local kad = state(me).KernelApcDisable
    expect(kad == -1 and math.type(kad) == "integer", "owned: KernelApcDisable -1, got " .. tostring(kad))
    expect(KeAreApcsDisabled() == true, "KeAreApcsDisabled() while owning a KMUTEX")
    expect(KeAreAllApcsDisabled() == false, "but not all APCs (SAD 0, PASSIVE)")
    expect(KeWaitForSingleObject(mx, {}) == "STATUS_WAIT_0", "recursive acquire")
    expect(state(me).KernelApcDisable == -1, "recursion does not decrement again, got " .. state(me).KernelApcDisable)
    KeReleaseMutex(mx)
    expect(state(me).KernelApcDisable == -1, "still owned once: -1, got " .. state(me).KernelApcDisable)
    KeReleaseMutex(mx)
    expect(state(me).KernelApcDisable == 0, "released: 0, got " .. state(me).KernelApcDisable)
    expect(KeAreApcsDisabled() == false, "enabled again")
    done = true
end }

at(ms(1), function() expect(done, "owner finished") end)
