-- W7 - condition already present at wait entry: user APC U1 queued and Alerted[K] set; alertable UserMode wait
-- (SEMANTICS.md 1.E W7; rules W7, W2b, W2c, D7).
--
-- W7: "Matrix - condition already present at wait entry (object not signaled): use W2 with
-- the flags as they are; kernel APCs already pending are delivered first (W1.1) if WaitIrql
-- is PASSIVE and SAD is 0."
-- W2 order: (b) the user APC before (c) Alerted[K], which survives the wait and is cleared by the return to user mode (D7).
-- T1 (user thread) makes one system call that sets the condition up on itself, then
-- waits on event E with KeWaitForSingleObject(E, {mode = "UserMode", alertable = true, timeout = 1 ms}).
-- Expected: STATUS_USER_APC, without blocking.
machine { cpus = 1 }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local function wait0(st) return st == "STATUS_WAIT_0" or st == "STATUS_SUCCESS" end

local T1

local E = event { name = "E", signaled = false }

T1 = thread { name = "T1", body = function()
  syscall("NtTest", function()
    local U1 = KeInitializeApc { thread = T1, name = "U1", mode = "UserMode",
      normal_routine = function() rec("NR_U1") end }
    expect(KeInsertQueueApc(U1) == true, "queue U1 to itself (I7: no UAP)")
    expect(KeAlertThread(T1, "KernelMode") == false, "set Alerted[K] (AL2)")
    local t0 = now()
    local st = KeWaitForSingleObject(E, { mode = "UserMode", alertable = true, timeout = ms(1) })
    local waited = now() - t0
    rec("wait=" .. st)
    expect(st == "STATUS_USER_APC", "the wait returns STATUS_USER_APC: " .. st)
    expect(waited == 0, "the wait did not block: " .. waited)
    local s = state(T1)
    expect(s.Alerted.KernelMode == true, "Alerted[K] = TRUE after the wait")
    expect(s.UserApcPending == true, "UAP = TRUE after the wait")
  end)
  local s = state(T1)
  expect(joined(log) == "wait=STATUS_USER_APC NR_U1", "after the return to user mode: " .. joined(log))
  expect(s.Alerted.KernelMode == false, "Alerted[K] = FALSE in user mode (D7 clears it)")
  expect(joined(s.user_queue) == "", "user list in user mode: " .. joined(s.user_queue))
end }
