-- C16 variant - termination deferred by a guarded region (SEMANTICS.md 2, C16;
-- rules T3, T4, R5, D2).
--
-- T3: "Being an NK, the exit APC is blocked by critical regions, guarded regions,
-- APC_LEVEL and KAIP (termination is deferred until they end)." R5: leaving the
-- guarded region with a non-empty kernel list calls KiCheckForKernelApcDelivery.
--
-- T1 (user thread, CPU 1) is in a system call inside a guarded region (SAD = -1)
-- when T2 terminates it with status 9. The IPI's KiDeliverApc clears KAP and
-- returns at once (D2: SAD != 0). KeLeaveGuardedRegion delivers the exit NK: the
-- exit APC moves to the head of the user list with UAP set; T1 finishes its call
-- and dies at its exit, never running user code again.
machine { cpus = 2 }

local app = process { name = "app" }
local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end

local T1
T1 = thread { name = "T1", process = app, affinity = 2, body = function()
  syscall("NtGuardedWork", function()
    KeEnterGuardedRegion()
    compute(us(100))                                 -- terminated at 50 us
    local s = state(T1)
    expect(joined(s.kernel_queue) == "T1.ExitApc" and not s.KernelApcPending and s.SpecialApcDisable == -1,
           "the exit NK waits in the kernel list (T3, D2)")
    rec("leave-guarded")
    KeLeaveGuardedRegion()
    rec("left-guarded")
    s = state(T1)
    expect(joined(s.user_queue) == "T1.ExitApc" and s.UserApcPending, "exit APC now a user APC, UAP set (T3)")
    compute(us(10))
    return "STATUS_SUCCESS"
  end)
  expect(false, "T1 never returns to user mode (T4)")
end }

at(us(50), function()
  expect(PsTerminateThread(T1, 9) == "STATUS_SUCCESS", "termination requested (T2)")
  rec("terminate")
end, { cpu = 0 })

thread { name = "watcher", system = true, affinity = 1, start_at = us(60), body = function()
  expect(KeWaitForSingleObject(T1, {}) == "STATUS_WAIT_0", "T1's object signaled")
  local s = state(T1)
  expect(s.state == "Terminated" and s.exit_status == 9 and now() == us(110), "T1 ended at 110 us with status 9")
  expect(joined(log) == "terminate leave-guarded left-guarded", "order: " .. joined(log))
end }
