-- C17 variant - an *alertable* KernelMode waiter: the termination does not end the wait
-- (SEMANTICS.md 2, C17; rules W6, T2, T3, T4, W4, I8).
--
-- Case: "T1, inside a system call, in KeWaitForSingleObject(E, KernelMode, FALSE);
-- t=10 T2 terminates T1; t=500 E is set. Expected: t=10 the exit NK runs inside the
-- wait (transparent) and sets UAP, but the wait continues; t=500 returns
-- STATUS_WAIT_0 to the caller; T1 dies at the end of the system call." (W6 row
-- "Non-alertable, KernelMode": "wait continues until satisfied; dies at next return
-- to user".) Times in microseconds here.
-- [UNCERTAIN] (C17: "for Alertable=TRUE: code says identical; MS docs table implies
-- interruption"; 1.N #9; W6 row "Alertable, KernelMode": "exit NK runs inside the
-- wait, **wait continues**"). Baseline reading tested: identical to the
-- non-alertable case - the exit APC sets UAP, which an alertable *KernelMode* wait
-- ignores (W2: user APCs end only UserMode waits), so the wait goes on to E.
machine { cpus = 2 }

local app = process { name = "app" }
local E = event { name = "E" }
local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end

local T1
T1 = thread { name = "T1", process = app, affinity = 2, body = function()
  syscall("NtDriverCall", function()
    local st = KeWaitForSingleObject(E, { mode = "KernelMode", alertable = true })
    rec("wait=" .. st .. "@" .. now() // 1000)
    local s = state(T1)
    expect(st == "STATUS_WAIT_0" and now() == us(500), "the wait returns STATUS_WAIT_0 when E is set (500 us)")
    expect(joined(s.user_queue) == "T1.ExitApc" and s.UserApcPending, "the exit APC waits at the head of the user list")
    return "STATUS_SUCCESS"
  end)
  expect(false, "T1 dies at the end of the system call (T4)")
end }

at(us(10), function()
  expect(state(T1).state == "Waiting", "T1 waits on E")
  expect(PsTerminateThread(T1, 4) == "STATUS_SUCCESS", "termination requested (T2)")
  rec("terminate")
end, { cpu = 0 })

at(us(20), function()
  local s = state(T1)
  expect(s.state == "Waiting" and s.wait_reason ~= "Suspended", "the wait continues after the exit NK ran (W4)")
  expect(#s.kernel_queue == 0, "the exit NK ran inside the wait (I8: woken with STATUS_KERNEL_APC)")
  expect(joined(s.user_queue) == "T1.ExitApc" and s.UserApcPending, "and queued the user-phase exit APC, UAP set (T3)")
  rec("still-waiting")
end, { cpu = 0 })

at(us(500), function() KeSetEvent(E, 0) end, { cpu = 0 })

thread { name = "watcher", system = true, affinity = 1, start_at = us(30), body = function()
  expect(KeWaitForSingleObject(T1, {}) == "STATUS_WAIT_0", "T1's object is signaled")
  local s = state(T1)
  expect(s.state == "Terminated" and s.exit_status == 4 and now() == us(500), "T1 died at 500 us, status 4")
  expect(joined(log) == "terminate still-waiting wait=STATUS_WAIT_0@500", "order: " .. joined(log))
end }
