-- K1_preempted_thread_resumes_before_equal_peer: a thread preempted by a
-- higher-priority one goes back to the HEAD of its ready queue, so when the
-- high thread is done it resumes before an equal-priority thread that was
-- already ready (well before the quantum end at 31.25 ms). Rules: K1, K5.
local first = thread { name = "first", priority = 8, body = function() compute(ms(20)) end }
local second = thread { name = "second", priority = 8, body = function() compute(ms(20)) end }

thread { name = "high", priority = 12, start_at = ms(2), body = function() compute(ms(1)) end }

at(ms(1), function() expect(current_thread() == first, "first runs at 1 ms, got " .. tostring(current_thread())) end)
at(us(2500), function() expect(tostring(current_thread()) == "high", "high runs at 2.5 ms, got " .. tostring(current_thread())) end)
at(ms(4), function()
    expect(current_thread() == first, "the preempted thread resumes first, got " .. tostring(current_thread()))
    expect(state(second).state == "Ready", "second still Ready, state=" .. state(second).state)
end)
