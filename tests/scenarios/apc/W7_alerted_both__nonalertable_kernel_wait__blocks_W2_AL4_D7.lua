-- W7 - condition already present at wait entry: Alerted[U] and Alerted[K] set; non-alertable KernelMode wait
-- (SEMANTICS.md 1.E W7; rules W7, W2, AL4, D7).
--
-- W7: "Matrix - condition already present at wait entry (object not signaled): use W2 with
-- the flags as they are; kernel APCs already pending are delivered first (W1.1) if WaitIrql
-- is PASSIVE and SAD is 0."
-- Non-alertable waits ignore alerts; nothing is consumed (Alerted[K] is then cleared by D7).
-- T1 (user thread) makes one system call that sets the condition up on itself, then
-- waits on event E with KeWaitForSingleObject(E, {mode = "KernelMode", alertable = false, timeout = 1 ms}).
-- Expected: STATUS_TIMEOUT, blocking for the whole 1 ms.
machine { cpus = 1 }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local function wait0(st) return st == "STATUS_WAIT_0" or st == "STATUS_SUCCESS" end

local T1

local E = event { name = "E", signaled = false }

T1 = thread { name = "T1", body = function()
  syscall("NtTest", function()
    expect(KeAlertThread(T1, "UserMode") == false, "set Alerted[U] (NtAlertThread on itself, AL2)")
    expect(KeAlertThread(T1, "KernelMode") == false, "set Alerted[K] (AL2)")
    local t0 = now()
    local st = KeWaitForSingleObject(E, { mode = "KernelMode", alertable = false, timeout = ms(1) })
    local waited = now() - t0
    rec("wait=" .. st)
    expect(st == "STATUS_TIMEOUT", "the wait returns STATUS_TIMEOUT: " .. st)
    expect(waited == ms(1), "the wait blocked for the whole timeout: " .. waited)
    local s = state(T1)
    expect(s.Alerted.UserMode == true, "Alerted[U] = TRUE after the wait")
    expect(s.Alerted.KernelMode == true, "Alerted[K] = TRUE after the wait")
  end)
  local s = state(T1)
  expect(joined(log) == "wait=STATUS_TIMEOUT", "after the return to user mode: " .. joined(log))
  expect(s.Alerted.UserMode == true, "Alerted[U] = TRUE in user mode")
  expect(s.Alerted.KernelMode == false, "Alerted[K] = FALSE in user mode (D7 clears it)")
end }
