-- C01 - Insert into a non-queueable thread (SEMANTICS.md 2, C01; rules I2, T6, A5, A7, T5).
--
-- Case: "2 CPUs; T1 on CPU1 with Q = FALSE (exit in progress); T2 on CPU0.
-- Action: T2 inserts NK A (SA 1,2) into T1. Expected: returns FALSE;
-- A.Inserted = FALSE; A's SA fields unchanged; T1's lists unchanged; KAP
-- unchanged; no IPI; KR/NR/RR of A never called (the caller owns A). (I2, T6)"
--
-- How "exit in progress" is reached with today's API: T1's body returns, so
-- PspExitThread (T5) clears ApcQueueable and then runs down T1's user queue;
-- T1 queued itself a user APC U0 whose rundown routine computes for 100 us,
-- so T1 is still Running (exit in progress, Q = FALSE) when T2 inserts at 50 us.
-- A.Inserted is observed with KeRemoveQueueApc(A), which returns the previous
-- Inserted (I10). "No IPI" is not observable from Lua; the trace is checked:
-- the refusal is there, and no APC interrupt is requested anywhere in the run.
-- expect-dump: 50000 0 T1 APC_REFUSED A why=NotQueueable
-- expect-no-dump: SWINT_REQUEST level=APC_LEVEL
-- A's system arguments are not observable (A is never delivered).
machine { cpus = 2 }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end

local T1
T1 = thread { name = "T1", system = true, affinity = 2, body = function()
  local u0 = KeInitializeApc { thread = T1, name = "U0", mode = "UserMode",
    normal_routine = function() rec("NR_U0") end,
    rundown_routine = function()
      rec("RR_U0")
      expect(state(T1).ApcQueueable == false, "Q is FALSE while the exit runs the user queue down (T5)")
      compute(us(100))          -- keep the exit in progress while T2 inserts
    end }
  expect(KeInsertQueueApc(u0) == true, "U0 queued to T1 itself")
  compute(us(10))
  -- returning ends the thread (T1, T5)
end }

thread { name = "T2", system = true, affinity = 1, start_at = us(50), body = function()
  local s = state(T1)
  expect(s.state == "Running", "T1 is still running its exit: " .. s.state)
  expect(s.ApcQueueable == false, "T1 is not queueable (exit in progress)")
  expect(joined(log) == "RR_U0", "T1 is inside the rundown of U0: " .. joined(log))
  local A = KeInitializeApc { thread = T1, name = "A", context = "ctx",
    kernel_routine = function() rec("KR_A") end,
    normal_routine = function() rec("NR_A") end,
    rundown_routine = function() rec("RR_A") end }
  local ok = KeInsertQueueApc(A, 1, 2, 0)
  expect(ok == false, "KeInsertQueueApc into a non-queueable thread returns FALSE (I2, T6)")
  s = state(T1)
  expect(#s.kernel_queue == 0 and #s.user_queue == 0, "T1's lists unchanged (empty)")
  expect(s.KernelApcPending == false, "KAP unchanged (FALSE)")
  expect(s.UserApcPending == false, "UAP unchanged (FALSE)")
  expect(KeRemoveQueueApc(A) == false, "A.Inserted is FALSE (KeRemoveQueueApc returns the old Inserted)")
  compute(us(200))      -- T1 finishes its exit meanwhile
  s = state(T1)
  expect(s.state == "Terminated", "T1 terminated")
  expect(joined(log) == "RR_U0", "KR/NR/RR of A never called, NR_U0 never called (A7, T5): " .. joined(log))
  expect(KeInsertQueueApc(A, 3, 4, 0) == false, "insert into a terminated thread also returns FALSE (T6)")
end }
