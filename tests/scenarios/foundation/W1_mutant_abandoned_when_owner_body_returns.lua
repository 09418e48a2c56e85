-- W1_mutant_abandoned_when_owner_body_returns: a user thread that owns a mutant
-- and returns from its body ends as a self-termination (T1, T5): the mutant is
-- abandoned and the thread waiting for it gets STATUS_ABANDONED_WAIT_0 (0x80),
-- becoming its owner; its next (recursive) acquisition is a plain
-- STATUS_WAIT_0, the abandoned state being reported once.
-- Rules: W1 (step 2: abandoned mutant adds 0x80), T5; API "Thread end".
local m = mutant { name = "m" }
local done = false

thread { name = "owner", priority = 9, body = function()
    local r = WaitForSingleObject(m, INFINITE)
    expect(r == "WAIT_OBJECT_0", "owner acquires, got " .. tostring(r))
    compute(ms(1))
    -- returns while owning m
end }

thread { name = "waiter", system = true, body = function()
    local r = KeWaitForSingleObject(m, {})
    expect(r == "STATUS_ABANDONED_WAIT_0", "abandoned mutant, got " .. tostring(r))
    expect(now() == ms(1), "when the owner ended, now=" .. now())
    r = KeWaitForSingleObject(m, { timeout = 0 })
    expect(r == "STATUS_WAIT_0", "now owned by the waiter: recursive STATUS_WAIT_0, got " .. tostring(r))
    KeReleaseMutant(m, 0)
    KeReleaseMutant(m, 0)
    done = true
end }

at(ms(2), function() expect(done, "the waiter finished") end)
