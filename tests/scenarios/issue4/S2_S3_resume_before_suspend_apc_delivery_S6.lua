-- S2/S3 - a resume that comes before the suspend APC could be delivered
-- (SEMANTICS.md 1.I S2, S3, S6; rules S2, S3, S6, S1, R4).
--
-- S2: "if the previous count was 0 and Freeze == 0: if SuspendApc is not inserted ->
-- mark inserted and insert internally (I3 ...); if it is *still* inserted (a previous
-- suspend was resumed before delivery) -> decrement the semaphore's signal state
-- instead." S3: "if both Susp and Freeze are now 0 -> semaphore signal state += 1".
-- S6: "suspension takes effect only when the suspend NK can be delivered (blocked by
-- KAD ...)".
--
-- T1 (user thread, CPU 1) makes two system calls, each 100 us inside a critical
-- region, so the suspend APC cannot be delivered (S6) while it computes.
-- Call 1 (0-100 us): suspend (0) and resume (1) at 20 us: the APC stays queued, the
-- semaphore is released; at KeLeaveCriticalRegion the late NR's wait is satisfied at
-- once: T1 does not stop.
-- Call 2 (100-200 us): suspend (0), resume (1), suspend (0) at 120 us: the second
-- suspend finds the APC still inserted and takes the release back; at
-- KeLeaveCriticalRegion (200 us) T1 really stops, until the resume at 250 us.
machine { cpus = 2 }

local app = process { name = "app" }
local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end

local T1
local function region_call(name)
  syscall(name, function()
    KeEnterCriticalRegion()
    compute(us(100))
    rec(name .. "-leave@" .. now() // 1000)
    KeLeaveCriticalRegion()
    rec(name .. "-left@" .. now() // 1000)
    return "STATUS_SUCCESS"
  end)
end

T1 = thread { name = "T1", process = app, affinity = 2, body = function()
  region_call("call1")
  region_call("call2")
  expect(joined(log) == "call1-leave@100 call1-left@100 call2-leave@200 call2-left@250",
         "call 1 does not stop, call 2 stops until 250 us: " .. joined(log))
end }

at(us(20), function()
  expect(KeSuspendThread(T1) == 0, "suspend returns 0")
  local s = state(T1)
  expect(s.state == "Running" and table.concat(s.kernel_queue, " ") == "T1.SuspendApc", "queued, not delivered (S6)")
  expect(KeResumeThread(T1) == 1 and state(T1).SuspendCount == 0, "resume before delivery returns 1 (S3)")
end, { cpu = 0 })

at(us(120), function()
  expect(KeSuspendThread(T1) == 0, "suspend returns 0")
  expect(KeResumeThread(T1) == 1, "resume returns 1")
  expect(KeSuspendThread(T1) == 0, "suspend again returns 0")
  local s = state(T1)
  expect(s.SuspendCount == 1 and table.concat(s.kernel_queue, " ") == "T1.SuspendApc",
         "count 1, the same APC still queued (S2: no second insertion)")
end, { cpu = 0 })

at(us(230), function()
  local s = state(T1)
  expect(s.state == "Waiting" and s.wait_reason == "Suspended", "T1 suspended since 200 us (S2: release taken back)")
end, { cpu = 0 })

at(us(250), function() expect(KeResumeThread(T1) == 1, "resume returns 1") end, { cpu = 0 })
