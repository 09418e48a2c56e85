-- W7 - condition already present at wait entry: Alerted[U] and Alerted[K] set; alertable KernelMode wait
-- (SEMANTICS.md 1.E W7; rules W7, W2a, AL4).
--
-- W7: "Matrix - condition already present at wait entry (object not signaled): use W2 with
-- the flags as they are; kernel APCs already pending are delivered first (W1.1) if WaitIrql
-- is PASSIVE and SAD is 0."
-- W2a consumes Alerted[K] only; Alerted[U] stays.
-- T1 (user thread) makes one system call that sets the condition up on itself, then
-- waits on event E with KeWaitForSingleObject(E, {mode = "KernelMode", alertable = true, timeout = 1 ms}).
-- Expected: STATUS_ALERTED, without blocking.
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
    local st = KeWaitForSingleObject(E, { mode = "KernelMode", alertable = true, timeout = ms(1) })
    local waited = now() - t0
    rec("wait=" .. st)
    expect(st == "STATUS_ALERTED", "the wait returns STATUS_ALERTED: " .. st)
    expect(waited == 0, "the wait did not block: " .. waited)
    local s = state(T1)
    expect(s.Alerted.UserMode == true, "Alerted[U] = TRUE after the wait")
    expect(s.Alerted.KernelMode == false, "Alerted[K] = FALSE after the wait")
  end)
  local s = state(T1)
  expect(joined(log) == "wait=STATUS_ALERTED", "after the return to user mode: " .. joined(log))
  expect(s.Alerted.UserMode == true, "Alerted[U] = TRUE in user mode")
end }
