-- K1_two_cpus_run_threads_in_parallel: with machine{cpus = 2}, two ready
-- threads run at the same time on different CPUs: each computes 5 ms and both
-- end at 5 ms. A third thread of equal priority readied at 1 ms, while both
-- CPUs are busy, preempts neither and starts when the first CPU frees, at 5 ms.
-- Rules: K1, K5 (an idle CPU takes a newly ready thread).
machine { cpus = 2 }
local info = {}

for _, n in ipairs { "a", "b" } do
    thread { name = n, priority = 8, body = function()
        local cpu = current_cpu()
        compute(ms(5))
        info[n] = { cpu = cpu, t = now() }
    end }
end

thread { name = "c", priority = 8, start_at = ms(1), body = function()
    info.c = { cpu = current_cpu(), t = now() }
end }

at(ms(6), function()
    expect(info.a and info.b, "both ran")
    expect(info.a.cpu ~= info.b.cpu, "on different CPUs: " .. info.a.cpu .. " and " .. info.b.cpu)
    expect(info.a.t == ms(5) and info.b.t == ms(5), "both end at 5 ms: " .. info.a.t .. ", " .. info.b.t)
    expect(info.c and info.c.t == ms(5), "c (equal priority) starts when a CPU frees at 5 ms, got " .. tostring(info.c and info.c.t))
end)
