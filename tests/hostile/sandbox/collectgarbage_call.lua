-- collectgarbage is removed (it could stop the collector or force finalizers).
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/collectgarbage_call.lua:5: attempt to call a nil value (global 'collectgarbage')
machine { cpus = 1 }
collectgarbage("stop")
