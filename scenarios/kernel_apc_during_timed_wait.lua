-- kernel_apc_during_timed_wait.lua - a kernel APC runs in the middle of a timed wait; the waiter never notices.
--
-- Story: a driver thread waits (KernelMode, not alertable) on event E with a
-- 1 ms timeout, from 100 us on. At 400 us CPU 0 queues it a normal kernel APC.
-- The APC wakes the waiter with the internal status STATUS_KERNEL_APC; its
-- KernelRoutine and NormalRoutine run in the waiter's context (60 us of work),
-- and the wait then resumes by itself - the caller never sees STATUS_KERNEL_APC,
-- and the timeout still expires at 1100 us, not 60 us later. The price of that
-- transparency: while the APC ran, the thread was off E's wait list, so a
-- KePulseEvent(E) at 430 us wakes nobody and the wait ends in STATUS_TIMEOUT.
-- (This is why the PulseEvent documentation calls it unreliable.)
--
-- Look for: WAIT_BEGIN at 100 us with timeout=1000000; at 400 us UNWAIT
-- status=STATUS_KERNEL_APC, then (the switch back in) ROUTINE_BEGIN kapc
-- KernelRoutine irql=APC_LEVEL and NormalRoutine irql=PASSIVE_LEVEL; at 430 us the
-- mark "KePulseEvent(E)": SIGNAL E 0->1->0 and no UNWAIT; at 460 us THREAD_STATE
-- Running -> Waiting again (the wait restarts inside the kernel: no WAIT_BEGIN,
-- no WAIT_END); at 1100 us UNWAIT and WAIT_END status=STATUS_TIMEOUT.
--
-- Rules: W4 (STATUS_KERNEL_APC is transparent; relative timeouts continue from
-- the original due time; a pulse during the APC is missed), K2 (the APC is
-- delivered during the switch back in, before the wait routine regains control),
-- I8 (a PASSIVE waiter with KAD = 0 is unwaited for a normal kernel APC), D3, D9;
-- like case C23.
machine { cpus = 2 }

local E = event { name = "E", type = "notification" }

local order = {}
local function step(s) order[#order + 1] = s; mark(s) end
local function so_far() return table.concat(order, " | ") end
local LEVEL = { [0] = "PASSIVE", [1] = "APC", [2] = "DISPATCH" }
local function irql() return LEVEL[current_irql()] or tostring(current_irql()) end

local waiter
waiter = thread { name = "waiter", system = true, affinity = 2, body = function()   -- on CPU 1
  compute(us(100))
  step("KeWaitForSingleObject(E, 1 ms)")
  local st = KeWaitForSingleObject(E, { mode = "KernelMode", alertable = false, timeout = ms(1) })
  step("wait=" .. st)
  expect(st ~= "STATUS_KERNEL_APC", "STATUS_KERNEL_APC never reaches the caller (W4)")
  expect(st == "STATUS_TIMEOUT", "the pulse was missed while the APC ran, so the wait timed out (W4): " .. st)
  expect(now() == us(1100), "the timeout was not extended by the APC: 100 us + 1 ms, got " .. now())
  expect(so_far() == "KeWaitForSingleObject(E, 1 ms) | kapc queued | kapc.KR@APC | kapc.NR@PASSIVE | "
         .. "KePulseEvent(E) | wait=STATUS_TIMEOUT",
         "the APC ran inside the wait: " .. so_far())
end }

at(us(400), function()                              -- CPU 0: a kernel component queues a normal kernel APC
  expect(state(waiter).state == "Waiting", "the driver thread is blocked in its wait")
  local kapc = KeInitializeApc { thread = waiter, name = "kapc",
    kernel_routine = function()
      expect(current_thread() == waiter, "the APC runs in the waiter's context")
      step("kapc.KR@" .. irql())
      compute(us(10))
    end,
    normal_routine = function()
      step("kapc.NR@" .. irql())
      compute(us(50))                               -- E is pulsed during this
    end }
  expect(KeInsertQueueApc(kapc, nil, nil, 0), "kapc inserted")
  expect(state(waiter).state ~= "Waiting", "the kernel APC unwaited the thread (I8)")
  step("kapc queued")
end, { cpu = 0 })

at(us(430), function()                              -- CPU 0: someone pulses E while the APC runs
  expect(state(waiter).state == "Running", "the waiter is running its APC, off E's wait list")
  step("KePulseEvent(E)")
  KePulseEvent(E)
end, { cpu = 0 })
