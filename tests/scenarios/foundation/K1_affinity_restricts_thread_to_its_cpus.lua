-- K1_affinity_restricts_thread_to_its_cpus: on a 2-CPU machine, threads with
-- affinity 0x2 run only on CPU 1: two of them share CPU 1 (one after the other,
-- 5 ms each: the second ends at 10 ms) while CPU 0 stays idle.
-- Rules: K1, K5 (a thread is readied only on a CPU of its affinity).
machine { cpus = 2 }
local ends = {}

for _, n in ipairs { "p", "q" } do
    thread { name = n, priority = 8, affinity = 0x2, body = function()
        expect(current_cpu() == 1, n .. " runs on CPU 1, got " .. tostring(current_cpu()))
        compute(ms(5))
        expect(current_cpu() == 1, n .. " still on CPU 1")
        ends[#ends + 1] = now()
    end }
end

at(ms(2), function() expect(tostring(current_thread()) == "Idle/0", "CPU 0 idle, got " .. tostring(current_thread())) end, { cpu = 0 })
at(ms(2), function()
    expect(current_cpu() == 1, "at() with cpu=1 runs on CPU 1")
    expect(tostring(current_thread()) == "p", "p runs on CPU 1 at 2 ms, got " .. tostring(current_thread()))
end, { cpu = 1 })
at(ms(11), function()
    expect(#ends == 2 and ends[1] == ms(5) and ends[2] == ms(10), "serialised on CPU 1: " .. table.concat(ends, ","))
end)
