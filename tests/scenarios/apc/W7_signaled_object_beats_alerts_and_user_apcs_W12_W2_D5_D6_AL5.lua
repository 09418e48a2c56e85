-- W7 - condition already present at wait entry: E signaled, Alerted[U] and Alerted[K] set, U1 queued, UAP TRUE; alertable UserMode wait
-- (SEMANTICS.md 1.E W7; rules W7, W1.2, W2, D5, D6, AL5).
--
-- W7: "Matrix - condition already present at wait entry (object not signaled): use W2 with
-- the flags as they are; kernel APCs already pending are delivered first (W1.1) if WaitIrql
-- is PASSIVE and SAD is 0."
-- W1.2: "A satisfiable object beats any pending alert or user APC; nothing is consumed in that case."
-- Afterwards, U1 runs at the return to user mode because UAP was already TRUE (D5), and the
-- NtContinue(TestAlert = TRUE) that ends it consumes Alerted[U] (D6, AL5); Alerted[K] is cleared by D7.
-- T1 (user thread) makes one system call that sets the condition up on itself, then
-- waits on event E with KeWaitForSingleObject(E, {mode = "UserMode", alertable = true, timeout = 1 ms}).
-- Expected: STATUS_WAIT_0, without blocking.
-- (apcsim names STATUS_WAIT_0 STATUS_SUCCESS, the same value; both names are accepted here.)
machine { cpus = 1 }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local function wait0(st) return st == "STATUS_WAIT_0" or st == "STATUS_SUCCESS" end

local T1

local E = event { name = "E", signaled = true }

T1 = thread { name = "T1", body = function()
  syscall("NtTest", function()
    local U1 = KeInitializeApc { thread = T1, name = "U1", mode = "UserMode",
      normal_routine = function() rec("NR_U1") end }
    expect(KeInsertQueueApc(U1) == true, "queue U1 to itself (I7: no UAP)")
    KeTestAlertThread("UserMode")       -- what NtTestAlert does: arms UAP (AL5)
    expect(state(T1).UserApcPending == true, "UAP armed")
    expect(KeAlertThread(T1, "UserMode") == false, "set Alerted[U] (NtAlertThread on itself, AL2)")
    expect(KeAlertThread(T1, "KernelMode") == false, "set Alerted[K] (AL2)")
    local t0 = now()
    local st = KeWaitForSingleObject(E, { mode = "UserMode", alertable = true, timeout = ms(1) })
    local waited = now() - t0
    rec("wait=" .. st)
    expect(wait0(st), "the wait returns STATUS_WAIT_0: " .. st)
    expect(waited == 0, "the wait did not block: " .. waited)
    local s = state(T1)
    expect(s.Alerted.UserMode == true, "Alerted[U] = TRUE after the wait")
    expect(s.Alerted.KernelMode == true, "Alerted[K] = TRUE after the wait")
    expect(s.UserApcPending == true, "UAP = TRUE after the wait")
    expect(joined(s.user_queue) == "U1", "user list after the wait: " .. joined(s.user_queue))
  end)
  local s = state(T1)
  expect(joined(log) == "" .. log[1] .. " NR_U1", "after the return to user mode: " .. joined(log))
  expect(s.Alerted.UserMode == false, "Alerted[U] = FALSE in user mode")
  expect(s.Alerted.KernelMode == false, "Alerted[K] = FALSE in user mode (D7 clears it)")
  expect(joined(s.user_queue) == "", "user list in user mode: " .. joined(s.user_queue))
end }
