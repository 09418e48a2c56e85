-- C21 - ReadFileEx-style completion through the documented irp{} /
-- IoCompleteRequest API (SEMANTICS.md 2, C21; rules IO1, IO2, IO3, I7, W2b).
--
-- Case: "T1 issues an asynchronous read with a completion routine C and returns
-- to user code. On CPU0 a DPC completes the IRP with boost 1. Expected: SK
-- IopCompleteRequest inserted into T1 (IPI); KR runs at APC_LEVEL in T1
-- (interrupting user code): status block written, event set, user APC (NR = C,
-- Increment 2) self-inserted - UAP stays FALSE, so C does not run on the return
-- to user code. Later T1 calls SleepEx(inf, TRUE) -> W2b -> C runs -> SleepEx
-- returns WAIT_IO_COMPLETION."
-- Uses irp{thread, completion, event} and IoCompleteRequest(irp, boost) as
-- SCENARIO_API.md defines them (the emulated version is C21a). The IRP's APC
-- name is not part of the API, so queue contents are checked by count only.
-- In the trace: IopCompleteRequest runs at APC_LEVEL in T1 when the IRP completes (50
-- us), and inserts the user APC with Increment 2 (IO2).
-- expect-dump: 50000 1 T1 ROUTINE_BEGIN irp1.Tail.Apc routine=KernelRoutine irql=APC_LEVEL mode=KernelMode
-- expect-dump: 50000 1 T1 APC_INSERT irp1.Tail.Apc state=0 list=UserMode pos=tail increment=2
machine { cpus = 2 }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end

local done = event { name = "done" }
local T1
local function C()
  expect(current_mode() == "UserMode", "completion routine C runs in user mode")
  rec("C")
end

T1 = thread { name = "T1", affinity = 2, body = function()
  compute(us(100))                                   -- user code; the IRP completes at 50 us
  local s = state(T1)
  expect(#log == 0, "C did not run on the return to user code (IO2, I7): " .. joined(log))
  expect(s.UserApcPending == false, "UAP FALSE")
  expect(#s.user_queue == 1, "the completion routine's user APC is queued: " .. #s.user_queue)
  expect(#s.kernel_queue == 0, "IopCompleteRequest already ran")
  expect(WaitForSingleObjectEx(done, 0, false) == "WAIT_OBJECT_0", "the IRP's event was set (IO2)")
  local t0 = now()
  local r = SleepEx(INFINITE, true)
  rec("SleepEx=" .. tostring(r))
  expect(r == "WAIT_IO_COMPLETION", "SleepEx returns WAIT_IO_COMPLETION: " .. tostring(r))
  expect(now() == t0, "SleepEx did not block")
  expect(joined(log) == "C SleepEx=WAIT_IO_COMPLETION", "C ran before SleepEx returned: " .. joined(log))
end }

local rq = irp { thread = T1, completion = C, event = done }

at(us(50), function()
  local s = state(T1)
  expect(s.state == "Running" and s.mode == "UserMode", "T1 runs user code when the IRP completes")
  IoCompleteRequest(rq, 1)
  expect(state(T1).KernelApcPending == true, "IopCompleteRequest SK inserted: KAP set (IO1, I8)")
end, { cpu = 0 })
