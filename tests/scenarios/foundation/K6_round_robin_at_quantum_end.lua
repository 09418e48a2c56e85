-- K6_round_robin_at_quantum_end: two compute-bound threads of equal priority
-- share one CPU by round robin: a clock tick (15.625 ms) charges 3 quantum
-- units of the 6, so the running thread's quantum ends at the second tick
-- (31.25 ms) and the other ready thread of equal priority gets the CPU, and so
-- on every 31.25 ms. a (100 ms of work) runs 0-31.25, 62.5-93.75,
-- 125-156.25, 187.5-193.75. Rules: K6, K1.
local a_end, b_start = nil, nil

local a = thread { name = "a", priority = 8, body = function()
    compute(ms(100))
    a_end = now()
end }
local b = thread { name = "b", priority = 8, body = function()
    b_start = now()
    compute(ms(100))
end }

local expected = { [20] = a, [40] = b, [70] = a, [100] = b, [130] = a, [170] = b }
for t, who in pairs(expected) do
    at(ms(t), function()
        expect(current_thread() == who, t .. " ms: " .. who.name .. " runs, got " .. tostring(current_thread()))
    end)
end
at(ms(300), function()
    expect(b_start == us(31250), "b first runs at the quantum end 31.25 ms, got " .. tostring(b_start))
    expect(a_end == us(193750), "a finishes at 193.75 ms, got " .. tostring(a_end))
end)
