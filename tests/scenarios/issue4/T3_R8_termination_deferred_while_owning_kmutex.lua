-- Termination deferred while the target owns a KMUTEX (SEMANTICS.md 1.H T3, 1.D R8;
-- rules T3, R8, R4, R6, T4).
--
-- T3: "Being an NK, the exit APC is blocked by critical regions ... (termination is
-- deferred until they end)." R8: "Acquiring a KMUTEX (mutant with ApcDisable = 1)
-- decrements KAD as part of satisfying the wait (implicit critical region);
-- releasing it leaves the region."
--
-- T1 (user thread, CPU 1) owns KMUTEX mx inside a system call from 0 to 100 us; it is
-- terminated at 20 us. The exit NK waits; KeReleaseMutex leaves the implicit region
-- and delivers it (R4, R6) before returning; T1 dies at the end of its call.
machine { cpus = 2 }

local app = process { name = "app" }
local mx = mutex { name = "mx" }
local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end

local T1
T1 = thread { name = "T1", process = app, affinity = 2, body = function()
  syscall("NtLockedWork", function()
    expect(KeWaitForSingleObject(mx, {}) == "STATUS_WAIT_0", "mx acquired")
    compute(us(100))
    local s = state(T1)
    expect(s.KernelApcDisable == -1 and joined(s.kernel_queue) == "T1.ExitApc", "deferred while mx is owned (R8)")
    rec("release")
    KeReleaseMutex(mx)
    rec("released")
    s = state(T1)
    expect(s.KernelApcDisable == 0 and joined(s.user_queue) == "T1.ExitApc" and s.UserApcPending,
           "the exit NK ran inside KeReleaseMutex (R4, R6, T3)")
    return "STATUS_SUCCESS"
  end)
  expect(false, "T1 never returns to user mode (T4)")
end }

at(us(20), function()
  expect(PsTerminateThread(T1, 13) == "STATUS_SUCCESS", "terminate")
  rec("terminate")
end, { cpu = 0 })
at(us(200), function()
  local s = state(T1)
  expect(s.state == "Terminated" and s.exit_status == 13, "T1 ended with status 13")
  expect(joined(log) == "terminate release released", "order: " .. joined(log))
end, { cpu = 0 })
