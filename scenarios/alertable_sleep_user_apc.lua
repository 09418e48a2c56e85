-- alertable_sleep_user_apc.lua - user APCs wait for an alertable wait, then drain back to back.
--
-- Story: a worker thread blocks in a plain (non-alertable) WaitForSingleObject.
-- A producer thread queues it user APC "A" with QueueUserAPC: the worker is not
-- woken, A just sits in its user queue - even after the event ends the wait and
-- the worker is back in user code. The worker's next SleepEx(50, TRUE) finds A
-- and returns WAIT_IO_COMPLETION at once, after running it. Then the worker
-- sleeps alertably for a whole second; the producer queues B, C and D in a row:
-- B wakes the sleeper, C and D are merely queued, and all three run back to back
-- (one per return to user mode, chained by NtContinue) before SleepEx returns.
--
-- Look for: at 100 us APC_INSERT UserApc with no UNWAIT and no UserApcPending
-- change (the worker waits with alertable=FALSE); at 200 us the worker's
-- WAIT_END then SYSCALL_EXIT with no ROUTINE_BEGIN; still at 200 us the
-- SleepEx(50) WAIT_END status=STATUS_USER_APC without blocking and "APC A"; at
-- 500 us a single UNWAIT status=STATUS_USER_APC (for B), then from 500 to 560 us
-- three UserApcNormalRoutine rows (marks "APC B", "APC C", "APC D"), each after
-- its own SYSCALL_EXIT and followed by SYSCALL_ENTER NtContinue.
--
-- Rules: I8 (a user APC wakes only an alertable UserMode waiter), W2 (W2b: the
-- alertable wait finds a queued APC and does not block; a non-alertable one is
-- not interrupted), D4 (UAP cleared, one APC dequeued), D5 (one NR per exit to
-- user mode), D6 (NtContinue TestAlert re-arms UAP: FIFO drain); case C11.
machine { cpus = 1 }

local app = process { name = "app.exe" }
local go = event { name = "go" }

local order = {}                                    -- what happened, in order
local function step(s) order[#order + 1] = s; mark(s) end
local function so_far() return table.concat(order, " | ") end

local worker
local function apc(ctx)                             -- every APC routine: a user-mode PAPCFUNC
  expect(current_thread() == worker and current_mode() == "UserMode",
         "APC " .. ctx .. " runs in the worker, in user mode")
  step("APC " .. ctx)
  compute(us(20))                                   -- the routine's work, so it shows on a chart
end

worker = thread { name = "worker", process = app, body = function()
  -- 1. A non-alertable wait is not interrupted by a user APC (I8).
  local r = WaitForSingleObject(go, INFINITE)
  step("WaitForSingleObject=" .. r)
  expect(r == "WAIT_OBJECT_0", "the event ended the wait")
  expect(now() == us(200), "not before the event was set at 200 us")
  local s = state(worker)
  expect(#s.user_queue == 1 and not s.UserApcPending, "A is still queued, UserApcPending FALSE, back in user code")

  -- 2. An alertable wait with A already queued does not block (W2b).
  r = SleepEx(50, true)
  step("SleepEx(50)=" .. tostring(r))
  expect(r == "WAIT_IO_COMPLETION" and now() == us(220), "A ran (20 us) and SleepEx returned without sleeping")

  -- 3. An alertable sleep is woken by the first APC; all queued APCs drain (C11).
  r = SleepEx(1000, true)
  step("SleepEx(1000)=" .. tostring(r))
  expect(r == "WAIT_IO_COMPLETION", "SleepEx(1000, TRUE) ended by the APCs: " .. tostring(r))
  expect(now() == us(560), "woken at 500 us, back after the three 20 us routines, not after a second")
  expect(so_far() == "APC A queued | WaitForSingleObject=WAIT_OBJECT_0 | APC A | SleepEx(50)=WAIT_IO_COMPLETION | "
         .. "B C D queued | APC B | APC C | APC D | SleepEx(1000)=WAIT_IO_COMPLETION",
         "APCs ran only in alertable waits, B C D back to back before SleepEx returned: " .. so_far())
  s = state(worker)
  expect(#s.user_queue == 0 and not s.UserApcPending, "user queue empty, UserApcPending FALSE")
end }

-- The producer runs above the worker: SetEvent gives the worker the boost of
-- EVENT_INCREMENT (base 8 + 1, K4), and B C D must be queued before it runs.
thread { name = "producer", process = app, priority = 10, start_at = us(100), body = function()
  expect(QueueUserAPC(apc, worker, "A"), "QueueUserAPC(A)")
  step("APC A queued")
  local s = state(worker)
  expect(s.state == "Waiting" and not s.UserApcPending, "a non-alertable waiter is not woken (I8)")

  Sleep(0.1)                                        -- until 200 us
  SetEvent(go)

  Sleep(0.3)                                        -- until 500 us: the worker sleeps alertably
  expect(state(worker).state == "Waiting", "the worker is in SleepEx(1000, TRUE)")
  expect(QueueUserAPC(apc, worker, "B"), "QueueUserAPC(B)")
  s = state(worker)
  expect(s.state ~= "Waiting" and s.UserApcPending, "B woke the alertable waiter, UserApcPending TRUE (I8)")
  expect(QueueUserAPC(apc, worker, "C") and QueueUserAPC(apc, worker, "D"), "QueueUserAPC(C), (D)")
  expect(#state(worker).user_queue == 3, "C and D only joined the queue behind B (FIFO, I5)")
  step("B C D queued")
end }
