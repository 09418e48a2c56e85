-- C01 variant b - Insert an APC that is already inserted (SEMANTICS.md 2, C01; rules I2, A5, A6, R4).
--
-- I2: "Returns FALSE, with no side effect at all, if Q is FALSE or the APC is
-- already inserted." A5: "Only one queue membership at a time ... SystemArgument1/2
-- are written by KeInsertQueueApc only when the insertion succeeds."
-- C01 tests the Q = FALSE half; this file tests the "already inserted" half:
-- T1 (CPU1) sits in a critical region so the NK A stays queued; T2 (CPU0)
-- inserts A with SA (1, 2) -> TRUE, then again with SA (3, 4) -> FALSE; the
-- list stays [A]; when T1 leaves the region, KR_A and NR_A see SA (1, 2).
machine { cpus = 2 }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end

local T1
local A
T1 = thread { name = "T1", system = true, affinity = 2, body = function()
  KeEnterCriticalRegion()
  compute(us(100))
  expect(joined(log) == "", "A blocked by the critical region (R4): " .. joined(log))
  expect(joined(state(T1).kernel_queue) == "A", "A queued once")
  KeLeaveCriticalRegion()
  expect(joined(log) == "KR_A(1,2) NR_A(ctx,1,2)", "A delivered once with the first SAs (A5): " .. joined(log))
end }

thread { name = "T2", system = true, affinity = 1, start_at = us(10), body = function()
  A = KeInitializeApc { thread = T1, name = "A", context = "ctx",
    kernel_routine = function(a, ctl) rec(("KR_A(%s,%s)"):format(tostring(ctl.arg1), tostring(ctl.arg2))) end,
    normal_routine = function(c, a1, a2) rec(("NR_A(%s,%s,%s)"):format(tostring(c), tostring(a1), tostring(a2))) end }
  expect(KeInsertQueueApc(A, 1, 2, 0) == true, "first insertion succeeds")
  expect(KeInsertQueueApc(A, 3, 4, 0) == false, "second insertion of the same APC returns FALSE (I2)")
  expect(joined(state(T1).kernel_queue) == "A", "list unchanged: [A] - " .. joined(state(T1).kernel_queue))
end }
