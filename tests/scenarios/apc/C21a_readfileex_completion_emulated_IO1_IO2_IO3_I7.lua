-- C21 - ReadFileEx-style completion, EMULATED with a special kernel APC
-- (SEMANTICS.md 2, C21; rules IO1, IO2, IO3, I7, W2b, D4).
--
-- Case: "T1 issues an asynchronous read with a completion routine C and returns
-- to user code. On CPU0 a DPC completes the IRP with boost 1. Expected: SK
-- IopCompleteRequest inserted into T1 (IPI); KR runs at APC_LEVEL in T1
-- (interrupting user code): status block written, event set, user APC (NR = C,
-- Increment 2) self-inserted - UAP stays FALSE, so C does not run on the return
-- to user code. Later T1 calls SleepEx(inf, TRUE) -> W2b -> C runs -> SleepEx
-- returns WAIT_IO_COMPLETION." (variant: C21b; irp{} API versions: C21c, C21d)
--
-- EMULATION: the same case built from plain Ke* calls, without irp{} (C21c,
-- C21d test apcsim's own I/O path): it checks that the APC rules alone (I7, I8,
-- W2b) give the case's outcome. The DPC inserts the SK "IopCompleteRequest" itself (increment 1, IO1) and its kernel
-- routine does what IO2 describes: writes the status block, sets the event and
-- inserts a user APC (CurrentApcEnvironment, NR = C, SA1 = the status block,
-- Increment 2) into its own thread.
machine { cpus = 2 }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local IRQL = { [0] = "PASSIVE", [1] = "APC", [2] = "DISPATCH" }
local function at_irql() return IRQL[current_irql()] or tostring(current_irql()) end

local done = event { name = "done" }
local iosb = { status = "STATUS_PENDING" }
local T1

local function C(ctx, a1)
  expect(current_mode() == "UserMode", "completion routine C runs in user mode")
  expect(a1 == iosb, "C receives the status block as SA1")
  rec("C(" .. a1.status .. ")")
end

local function complete_irp()                          -- IoCompleteRequest(irp, 1), emulated
  local sk = KeInitializeApc { thread = T1, name = "IopCompleteRequest",
    kernel_routine = function()
      expect(current_thread() == T1, "IopCompleteRequest runs in the requester T1 (IO2)")
      rec("KR_IopCompleteRequest@" .. at_irql() .. "@" .. now() // 1000 .. "us")
      iosb.status = "STATUS_SUCCESS"
      KeSetEvent(done, 0)
      local u = KeInitializeApc { thread = T1, name = "C", mode = "UserMode",
        environment = "CurrentApcEnvironment", context = "ctx", normal_routine = C,
        kernel_routine = function() rec("KR_C@" .. at_irql()) end }
      expect(KeInsertQueueApc(u, iosb, nil, 2) == true, "user APC self-inserted")
      local s = state(T1)
      expect(s.UserApcPending == false, "self-inserted user APC leaves UAP FALSE (I7, IO2)")
      expect(joined(s.user_queue) == "C", "C queued")
    end }
  expect(KeInsertQueueApc(sk, nil, nil, 1) == true, "IopCompleteRequest SK inserted (IO1)")
end

T1 = thread { name = "T1", affinity = 2, body = function()
  -- (the asynchronous read was issued here; its IRP is pending)
  compute(us(100))                                     -- user code; the IRP completes at 50 us
  expect(joined(log) == "KR_IopCompleteRequest@APC@50us",
         "KR ran at once, interrupting user code; C did not run on the return to user (IO3): " .. joined(log))
  local s = state(T1)
  expect(s.UserApcPending == false and joined(s.user_queue) == "C", "C still queued, UAP FALSE")
  expect(iosb.status == "STATUS_SUCCESS", "status block written")
  local w = WaitForSingleObjectEx(done, 0, false)
  expect(w == "WAIT_OBJECT_0", "the event was set by IopCompleteRequest: " .. tostring(w))
  compute(us(10))
  expect(#log == 1, "C still not run")
  local t0 = now()
  local r = SleepEx(INFINITE, true)
  rec("SleepEx=" .. tostring(r))
  expect(r == "WAIT_IO_COMPLETION", "SleepEx returns WAIT_IO_COMPLETION (W2b): " .. tostring(r))
  expect(now() == t0, "SleepEx did not block")
  expect(joined(log) == "KR_IopCompleteRequest@APC@50us KR_C@APC C(STATUS_SUCCESS) SleepEx=WAIT_IO_COMPLETION",
         "C ran before SleepEx returned: " .. joined(log))
end }

at(us(50), function()
  local s = state(T1)
  expect(s.state == "Running" and s.mode == "UserMode", "T1 runs user code when the IRP completes")
  complete_irp()
  expect(state(T1).KernelApcPending == true, "KAP set (I8)")
end, { cpu = 0 })
