-- W1_thread_object_signaled_at_exit: a thread is a dispatcher object, signaled
-- when it terminates: a KeWaitForSingleObject on it returns STATUS_WAIT_0 at
-- the moment the body returns; the thread is then Terminated with the exit
-- status its body returned (an integer); a wait on an already-ended thread is
-- satisfied at once, and WaitForSingleObject on it gives WAIT_OBJECT_0.
-- (joiner is created first: see K5_displaced_standby_thread_is_not_lost for
-- the case of a lower-priority thread created first.)
-- Rules: W1, W3, T1, T5; API "Thread end", "a thread handle is waitable".
local done = false

local worker

thread { name = "joiner", system = true, priority = 9, body = function()
    expect(state(worker).state ~= "Terminated", "worker still alive at the start")
    local r = KeWaitForSingleObject(worker, {})
    expect(r == "STATUS_WAIT_0", "thread object signaled, got " .. tostring(r))
    expect(now() == ms(2), "at the worker's exit, now=" .. now())
    local s = state(worker)
    expect(s.state == "Terminated", "worker Terminated, state=" .. s.state)
    expect(s.exit_status == 7 and math.type(s.exit_status) == "integer", "exit status 7, got " .. tostring(s.exit_status))
    r = KeWaitForSingleObject(worker, { timeout = 0 })
    expect(r == "STATUS_WAIT_0", "stays signaled, got " .. tostring(r))
    done = true
end }

worker = thread { name = "worker", body = function()
    compute(ms(2))
    return 7
end }

thread { name = "win32joiner", start_at = ms(3), body = function()
    local r = WaitForSingleObject(worker, INFINITE)
    expect(r == "WAIT_OBJECT_0", "WaitForSingleObject on an ended thread, got " .. tostring(r))
    expect(now() == ms(3), "without blocking")
end }

at(ms(4), function() expect(done, "joiner finished") end)
