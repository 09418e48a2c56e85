-- quickstart.lua - a user thread sleeps alertably; a DPC queues it a user APC.
--
-- What happens (SEMANTICS.md I8, W2, D4-D6): the worker computes 200 us in
-- user mode, then enters SleepEx(100 ms, alertable). At 500 us a DPC on CPU 0
-- queues a user APC to it: the insertion wakes the alertable user-mode waiter
-- with STATUS_USER_APC, the APC's routine runs in user mode on the way back,
-- and SleepEx returns WAIT_IO_COMPLETION long before its 100 ms are up.
machine { cpus = 1 }
local app = process { name = "app.exe" }

local worker = thread { name = "worker", process = app, priority = 8, body = function()
    compute(us(200))
    local r = SleepEx(100, true)
    mark("SleepEx=" .. tostring(r))
    expect(r == "WAIT_IO_COMPLETION", "the user APC ends the alertable sleep")
    expect(now() < ms(1), "long before the 100 ms timeout")
end }

at(us(500), function()
    QueueUserAPC(function(ctx) mark("apc " .. ctx) end, worker, "ctx-1")
end)
