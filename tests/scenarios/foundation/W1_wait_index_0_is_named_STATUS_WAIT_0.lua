-- W1_wait_index_0_is_named_STATUS_WAIT_0: a wait satisfied by the object at
-- index 0 returns the status name "STATUS_WAIT_0" (API: "STATUS_WAIT_0 (WaitAny
-- index n: STATUS_WAIT_n)"), both without blocking and after blocking, for a
-- single wait, a WaitAny and a WaitAll; only KeDelayExecutionThread returns
-- "STATUS_SUCCESS" (W8). NTSTATUS 0 has both names; for a wait the API fixes
-- the STATUS_WAIT_0 spelling (STATUS_WAIT_1 ... are already distinct names).
-- Rules: W1 (step 2), W3, W8; API status strings.
local s = event { name = "s", signaled = true }
local e = event { name = "e" }
local got = {}

thread { name = "k", system = true, body = function()
    got[#got + 1] = KeWaitForSingleObject(s, {})
    got[#got + 1] = KeWaitForMultipleObjects({ s, e }, "WaitAny", {})
    got[#got + 1] = KeWaitForMultipleObjects({ s }, "WaitAll", {})
    got[#got + 1] = KeWaitForSingleObject(e, {})          -- blocks until 1 ms
    got[#got + 1] = KeDelayExecutionThread("KernelMode", false, us(1))
end }

at(ms(1), function() KeSetEvent(e, 0) end)
at(ms(2), function()
    local s1 = table.concat(got, ",")
    expect(s1 == "STATUS_WAIT_0,STATUS_WAIT_0,STATUS_WAIT_0,STATUS_WAIT_0,STATUS_SUCCESS", "statuses: " .. s1)
end)
