-- T1 - self-termination: no exit APC, PspExitThread at once (SEMANTICS.md 1.H T1,
-- T5; rules T1, T5, T6, A7, I8).
--
-- T1: "Self-termination (NtTerminateThread on self, PsTerminateSystemThread): sets
-- the Terminated flag and calls PspExitThread directly - no APC." T5: "... Q = FALSE;
-- ...; flush the user queue: for each APC call its RR if it has one, else free it
-- (NR/KR never called); ...; KeTerminateThread: thread object signaled ...". A7: RR
-- is only called by whoever flushes a queue.
--
-- T1 (user thread, CPU 1) has two user APCs queued by T2 while it computed (U1 with
-- a rundown routine, U2 without), never delivered (no alertable wait). At 50 us it
-- calls NtTerminateThread(itself, 6): no exit APC appears, U1's RR runs in T1 (FIFO
-- order of the flush), U1's and U2's NR never run, T1 ends at 50 us with status 6
-- and its object is signaled.
machine { cpus = 2 }

local app = process { name = "app" }
local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end

local T1
T1 = thread { name = "T1", process = app, affinity = 2, body = function()
  compute(us(50))
  local s = state(T1)
  expect(joined(s.user_queue) == "U1 U2" and not s.UserApcPending, "U1, U2 queued, not delivered")
  rec("terminate-self")
  NtTerminateThread(T1, 6)
  expect(false, "NtTerminateThread on itself never returns (T1)")
end }

thread { name = "T2", system = true, affinity = 1, start_at = us(10), body = function()
  local U1 = KeInitializeApc { thread = T1, name = "U1", mode = "UserMode",
    kernel_routine = function() rec("KR_U1") end, normal_routine = function() rec("NR_U1") end,
    rundown_routine = function()
      local s = state(T1)
      rec("RR_U1")
      expect(current_thread() == T1 and not s.ApcQueueable, "RR_U1 runs in T1's PspExitThread after Q = FALSE (T5)")
      expect(#s.kernel_queue == 0 and joined(s.user_queue) == "U2", "no exit APC (T1); U2 flushed next")
    end }
  local U2 = KeInitializeApc { thread = T1, name = "U2", mode = "UserMode",
    kernel_routine = function() rec("KR_U2") end, normal_routine = function() rec("NR_U2") end }
  expect(KeInsertQueueApc(U1) and KeInsertQueueApc(U2), "U1, U2 queued")
  expect(KeWaitForSingleObject(T1, {}) == "STATUS_WAIT_0", "T1's object is signaled (T5)")
  local s = state(T1)
  expect(s.state == "Terminated" and s.exit_status == 6 and now() == us(50), "T1 ended at 50 us, status 6")
  expect(#s.user_queue == 0 and #s.kernel_queue == 0, "queues empty")
  expect(joined(log) == "terminate-self RR_U1", "only U1's rundown routine ran (A7, T5): " .. joined(log))
end }
