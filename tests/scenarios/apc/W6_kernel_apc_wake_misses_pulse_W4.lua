-- W6 "kernel APC: delivered, wait continues", with a pulse during the APC
-- (SEMANTICS.md 1.E W6, W4; rules W4, W3, I8, K2).
--
-- W4: "... Because the thread was unlinked during the APC, a signal that comes and
-- goes (KePulseEvent, auto-reset event consumed by another waiter) while the APC runs
-- is missed."
-- 2 CPUs. T1 (CPU1) waits on notification event E (KernelMode, non-alertable). At
-- 10 us a DPC on CPU0 inserts SK S1; KR_S1 runs in T1 for 20 us (10..30 us). At
-- 20 us a DPC on CPU0 pulses E: T1 is not in E's wait list and misses it. T1 re-waits
-- at 30 us and is woken only when E is set at 50 us.
machine { cpus = 2 }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local function wait0(st) return st == "STATUS_WAIT_0" or st == "STATUS_SUCCESS" end

local E = event { name = "E" }
local T1
T1 = thread { name = "T1", system = true, affinity = 2, body = function()
  local st = KeWaitForSingleObject(E, { mode = "KernelMode" })
  rec("wait@" .. now() // 1000)
  expect(wait0(st), "satisfied by E: " .. st)
  expect(joined(log) == "KR_S1-begin pulse KR_S1-end wait@50", "the pulse during the APC is missed (W4): " .. joined(log))
end }

at(us(10), function()
  KeInsertQueueApc(KeInitializeApc { thread = T1, name = "S1", kernel_routine = function()
    rec("KR_S1-begin")
    compute(us(20))
    rec("KR_S1-end")
  end })
end, { cpu = 0 })
at(us(20), function()
  rec("pulse")
  KePulseEvent(E, 0)
end, { cpu = 0 })
at(us(40), function()
  expect(state(T1).state == "Waiting", "T1 waits again after the APC (W4)")
end, { cpu = 0 })
at(us(50), function() KeSetEvent(E, 0) end, { cpu = 0 })
