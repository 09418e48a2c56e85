-- io_completion_readfileex.lua - a ReadFileEx completion routine waits for an alertable wait.
--
-- Story: an application starts an asynchronous read with ReadFileEx and a
-- completion routine, then keeps computing in user mode. At 300 us the disk
-- driver's DPC (on the other CPU) calls IoCompleteRequest(irp, 1). That queues
-- a special kernel APC, IopCompleteRequest, which interrupts the reader's user
-- code at APC_LEVEL, sets the IRP's event and queues the completion routine as
-- a user APC to its own thread - a self-insertion, so nothing arms it. The
-- routine runs only when the reader finally sleeps alertably (SleepEx), which
-- then returns WAIT_IO_COMPLETION without sleeping at all.
--
-- Look for: APC_INSERT of irp1.Tail.Apc at 300 us (list=KernelMode) and the IPI;
-- ROUTINE_BEGIN irp1.Tail.Apc routine=KernelRoutine irql=APC_LEVEL in the
-- reader while it is in user mode; the second APC_INSERT (list=UserMode) with no
-- UserApcPending change; the mark "still in user code" at 500 us (the completion
-- has not run); at 800 us "SleepEx(INFINITE, TRUE)", WAIT_END
-- status=STATUS_USER_APC without blocking, the completion's
-- UserApcNormalRoutine in user mode, NtContinue, and at 820 us
-- "SleepEx=WAIT_IO_COMPLETION".
--
-- Rules: IO1 (SK with the driver's boost), IO2 (KR at APC_LEVEL sets the event,
-- re-queues the KAPC as a user APC), IO3 / I7 (self-insertion: no UAP, no run on
-- the way back to user code), W2 (W2b: the alertable wait finds the queued user
-- APC and returns STATUS_USER_APC at once), D4-D6.
machine { cpus = 2 }

local app = process { name = "app.exe" }
local read_done = event { name = "read_done" }     -- the OVERLAPPED event the IRP sets (IO2)

local order = {}                                    -- what ran, in order: the story's assertion
local function step(s) order[#order + 1] = s; mark(s) end

local reader, rq
local function on_read_done()                       -- the FileIOCompletionRoutine
  expect(current_thread() == reader and current_mode() == "UserMode",
         "the completion routine runs in the reader, in user mode")
  step("completion routine")
  compute(us(20))                                   -- its work, so it shows on a chart
end

reader = thread { name = "reader", process = app, affinity = 2, body = function()   -- on CPU 1
  local ok = ReadFileEx(rq, on_read_done)           -- the request is pending; the driver has it
  expect(ok, "ReadFileEx started the read")
  step("read started")

  compute(us(500))                                  -- user code; the IRP completes at 300 us
  step("still in user code")
  local s = state(reader)
  expect(WaitForSingleObjectEx(read_done, 0, false) == "WAIT_OBJECT_0",
         "IopCompleteRequest already ran and set the IRP's event (IO2)")
  expect(#s.kernel_queue == 0, "the special kernel APC was consumed")
  expect(#s.user_queue == 1 and not s.UserApcPending,
         "the completion routine sits in the user queue, UserApcPending FALSE (IO3, I7)")

  compute(us(300))
  step("SleepEx(INFINITE, TRUE)")
  local t0 = now()
  local r = SleepEx(INFINITE, true)                 -- the first alertable wait
  step("SleepEx=" .. tostring(r))
  expect(r == "WAIT_IO_COMPLETION", "SleepEx returns WAIT_IO_COMPLETION: " .. tostring(r))
  expect(now() == t0 + us(20), "SleepEx did not block (W2b): only the routine's 20 us passed")
  expect(table.concat(order, " | ") == "read started | IoCompleteRequest | still in user code | "
         .. "SleepEx(INFINITE, TRUE) | completion routine | SleepEx=WAIT_IO_COMPLETION",
         "the completion ran only inside the alertable wait: " .. table.concat(order, " | "))
end }

-- The read's IRP, owned by the reader (made up front so the driver's DPC can name
-- it); its completion routine becomes a user APC (IO2).
rq = irp { thread = reader, completion = on_read_done, event = read_done, name = "irp1" }

at(us(300), function()                              -- the disk driver's DPC on CPU 0
  local s = state(reader)
  expect(s.state == "Running" and s.mode == "UserMode", "the reader is running user code")
  step("IoCompleteRequest")
  IoCompleteRequest(rq, 1)                          -- IO_DISK_INCREMENT
  expect(state(reader).KernelApcPending, "IopCompleteRequest queued to the reader (IO1)")
end, { cpu = 0 })
