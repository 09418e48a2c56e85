-- W1_zero_timeout_wait_allowed_at_dispatch: a wait with a zero timeout does not
-- block, so (as the WDK allows: "if *Timeout == 0 the caller may be at
-- DISPATCH_LEVEL") it is legal in a DPC: it tests the object and returns
-- STATUS_TIMEOUT or STATUS_WAIT_0, no bugcheck. Rules: W1 (step 4), R9.
-- [UNCERTAIN] SEMANTICS.md does not state this explicitly; the baseline
-- reading tested here is the WRK/WDK one (only a wait that would block is a
-- bugcheck at DISPATCH_LEVEL).
local e = event { name = "e" }
local s = event { name = "s", signaled = true }
local done = false

at(ms(1), function()
    expect(KeWaitForSingleObject(e, { timeout = 0 }) == "STATUS_TIMEOUT", "not signaled: STATUS_TIMEOUT")
    expect(KeWaitForSingleObject(s, { timeout = 0 }) == "STATUS_WAIT_0", "signaled: STATUS_WAIT_0")
    done = true
end)
at(ms(2), function() expect(done, "the DPC finished") end)
