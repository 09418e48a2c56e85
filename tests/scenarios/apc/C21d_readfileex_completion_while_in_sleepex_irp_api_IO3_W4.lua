-- C21 variant - completion while T1 is already in SleepEx(inf, TRUE), through
-- the documented irp{} / IoCompleteRequest API (SEMANTICS.md 2, C21; rules IO3, I8, W4, W2b, K4).
--
-- Case: "Variant: T1 was already in SleepEx(inf, TRUE) when the IRP completed ->
-- woken with STATUS_KERNEL_APC (boost 1), IopCompleteRequest runs during the
-- switch-in, re-wait finds the user APC -> STATUS_USER_APC -> C runs ->
-- WAIT_IO_COMPLETION." (emulated version: C21b)
machine { cpus = 2 }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end

local done = event { name = "done" }
local T1
local function C()
  expect(current_mode() == "UserMode", "C runs in user mode")
  expect(state(T1).priority == 9, "T1 runs boosted by the IRP's boost 1 (K4): " .. state(T1).priority)
  rec("C")
end

T1 = thread { name = "T1", affinity = 2, body = function()
  compute(us(10))
  local r = SleepEx(INFINITE, true)
  rec("SleepEx=" .. tostring(r))
  expect(r == "WAIT_IO_COMPLETION", "SleepEx returns WAIT_IO_COMPLETION: " .. tostring(r))
  expect(now() == us(50), "woken when the IRP completed")
  expect(joined(log) == "C SleepEx=WAIT_IO_COMPLETION", "C ran before SleepEx returned: " .. joined(log))
  expect(WaitForSingleObjectEx(done, 0, false) == "WAIT_OBJECT_0", "the IRP's event was set")
end }

local rq = irp { thread = T1, completion = C, event = done }

at(us(50), function()
  expect(state(T1).state == "Waiting", "T1 in its alertable sleep")
  IoCompleteRequest(rq, 1)
  expect(state(T1).state ~= "Waiting", "the SK woke T1 (STATUS_KERNEL_APC, I8)")
end, { cpu = 0 })
