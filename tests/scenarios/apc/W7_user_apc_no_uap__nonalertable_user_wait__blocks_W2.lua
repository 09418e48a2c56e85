-- W7 - condition already present at wait entry: user APC U1 queued, UAP FALSE; non-alertable UserMode wait
-- (SEMANTICS.md 1.E W7; rules W7, W2).
--
-- W7: "Matrix - condition already present at wait entry (object not signaled): use W2 with
-- the flags as they are; kernel APCs already pending are delivered first (W1.1) if WaitIrql
-- is PASSIVE and SAD is 0."
-- W2 not alertable: only UAP counts.
-- T1 (user thread) makes one system call that sets the condition up on itself, then
-- waits on event E with KeWaitForSingleObject(E, {mode = "UserMode", alertable = false, timeout = 1 ms}).
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
    local U1 = KeInitializeApc { thread = T1, name = "U1", mode = "UserMode",
      normal_routine = function() rec("NR_U1") end }
    expect(KeInsertQueueApc(U1) == true, "queue U1 to itself (I7: no UAP)")
    local t0 = now()
    local st = KeWaitForSingleObject(E, { mode = "UserMode", alertable = false, timeout = ms(1) })
    local waited = now() - t0
    rec("wait=" .. st)
    expect(st == "STATUS_TIMEOUT", "the wait returns STATUS_TIMEOUT: " .. st)
    expect(waited == ms(1), "the wait blocked for the whole timeout: " .. waited)
    local s = state(T1)
    expect(s.UserApcPending == false, "UAP = FALSE after the wait")
    expect(joined(s.user_queue) == "U1", "user list after the wait: " .. joined(s.user_queue))
  end)
  local s = state(T1)
  expect(joined(log) == "wait=STATUS_TIMEOUT", "after the return to user mode: " .. joined(log))
  expect(s.UserApcPending == false, "UAP = FALSE in user mode")
  expect(joined(s.user_queue) == "U1", "user list in user mode: " .. joined(s.user_queue))
end }
