-- W8_zero_user_delay_yields_to_equal_priority: a zero-length UserMode
-- non-alertable delay with no user APC pending (Sleep(0)) is a plain yield: it
-- returns at once with STATUS_SUCCESS, but a ready thread of equal priority
-- runs first. Rules: W8, W1 (step 4: "a zero-length UserMode non-alertable
-- delay with UAP clear is a plain yield"), K1.
local log = {}

thread { name = "a", priority = 8, body = function()
    log[#log + 1] = "a1"
    local r = NtDelayExecution(false, 0)
    expect(r == "STATUS_SUCCESS", "zero delay returns STATUS_SUCCESS, got " .. tostring(r))
    log[#log + 1] = "a2"
    expect(now() == 0, "no time passed")
end }

thread { name = "b", priority = 8, body = function()
    log[#log + 1] = "b"
end }

at(ms(1), function()
    local s = table.concat(log, ",")
    expect(s == "a1,b,a2", "Sleep(0) yields to b: " .. s)
end)
