-- run_summary_apcs_marks_threads.lua - what `apcsim run` prints after a run
-- (not a SEMANTICS rule: the CLI's summary).
--
-- The APC table counts, per kind, the insertions and how each APC left its
-- queue: delivered (D3, D4), removed (KeRemoveQueueApc, I10), run down at
-- the thread's exit (T5, A7), or still queued when the run ended (a normal
-- kernel APC held back by a critical region, R4). The marks section lists
-- the first and last ten mark() labels and says how many lie between. Over
-- 40 threads, live threads are shown before terminated ones and the rest
-- are counted by state.
--
-- expect-stdout: special kernel          1          1        0         0        0
-- expect-stdout: normal kernel           2          0        1         0        1
-- expect-stdout: user                    2          1        0         1        0
-- expect-stdout: marks (25)
-- expect-stdout: worker           m10
-- expect-stdout: ... 5 more (apcsim dump shows every MARK row)
-- expect-stdout: worker           m16
-- expect-stdout: worker           m25
-- expect-stdout-order: thread           process
-- expect-stdout-order: holder           System       Waiting
-- expect-stdout-order: sleeper          System       Waiting
-- expect-stdout-order: f1               app.exe      Terminated
-- expect-stdout-order: f38              app.exe      Terminated
-- expect-stdout-order: ... and 6 more threads (Terminated 6); apcsim replay shows any of them
-- expect-stdout: ... and 6 more threads (Terminated 6); apcsim replay shows any of them
-- expect-dump-count: 25 MARK
machine { cpus = 1 }
local app = process { name = "app.exe" }
local forever = event { name = "forever" }

-- 42 idle filler threads that end at once: with the four below, 46 threads
for i = 1, 42 do thread { name = "f" .. i, process = app, body = function() end } end

-- waits in a critical region for ever: the normal kernel APC stays queued
local holder = thread { name = "holder", system = true, body = function()
    KeEnterCriticalRegion()
    KeWaitForSingleObject(forever, {})
end }
-- waits non-alertably for ever: a special kernel APC is still delivered (W4)
local sleeper = thread { name = "sleeper", system = true, body = function()
    KeWaitForSingleObject(forever, {})
end }
-- 25 marks, then an alertable sleep that the user APC ends
local worker = thread { name = "worker", process = app, body = function()
    for k = 1, 25 do mark("m" .. k) end
    SleepEx(10, true)
end }
-- ends without an alertable wait: its user APC is run down
local quitter = thread { name = "quitter", process = app, body = function() compute(us(100)) end }

at(us(50), function()
    KeInsertQueueApc(KeInitializeApc { thread = sleeper, name = "SK" })
    KeInsertQueueApc(KeInitializeApc { thread = holder, normal_routine = function() end, name = "NK1" })
    local removed = KeInitializeApc { thread = sleeper, normal_routine = function() end, name = "NK2" }
    -- sleeper runs the SK first only once this DPC is over; NK2 goes before that
    KeInsertQueueApc(removed)
    expect(KeRemoveQueueApc(removed), "NK2 was still queued")
    QueueUserAPC(function() end, worker, 0)
    QueueUserAPC(function() end, quitter, 0)
end)
