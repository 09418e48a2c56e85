-- C16 variant - termination deferred by APC_LEVEL (a fast mutex held)
-- (SEMANTICS.md 2, C16; rules T3, T4, R3, R1).
--
-- T3: "the exit APC is blocked by critical regions, guarded regions, APC_LEVEL and
-- KAIP (termination is deferred until they end)." R3: running at APC_LEVEL blocks
-- all kernel-APC delivery on that CPU.
--
-- T1 (user thread, CPU 1) holds a fast mutex (APC_LEVEL) in a system call when T2
-- terminates it. The IPI's APC request stays latched (masked). When
-- KeReleaseFastMutex lowers IRQL to PASSIVE the APC interrupt delivers the exit NK
-- (KR PsExitSpecialApc, NR PspExitNormalApc): the exit APC is at the head of the
-- user list with UAP set before KeReleaseFastMutex returns; T1 dies at its exit.
machine { cpus = 2 }

local app = process { name = "app" }
local fm = fast_mutex { name = "fm" }
local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end

local T1
T1 = thread { name = "T1", process = app, affinity = 2, body = function()
  syscall("NtLockedWork", function()
    KeAcquireFastMutex(fm)
    compute(us(100))                                 -- terminated at 50 us
    local s = state(T1)
    expect(s.irql == APC_LEVEL and joined(s.kernel_queue) == "T1.ExitApc" and s.KernelApcPending,
           "at APC_LEVEL the exit NK waits, KAP still set (R3)")
    rec("release")
    KeReleaseFastMutex(fm)
    rec("released")
    s = state(T1)
    expect(#s.kernel_queue == 0 and joined(s.user_queue) == "T1.ExitApc" and s.UserApcPending,
           "delivered when IRQL dropped to PASSIVE (R1, T3)")
    return "STATUS_SUCCESS"
  end)
  expect(false, "T1 never returns to user mode (T4)")
end }

at(us(50), function()
  expect(PsTerminateThread(T1, 3) == "STATUS_SUCCESS", "termination requested (T2)")
  rec("terminate")
end, { cpu = 0 })

thread { name = "watcher", system = true, affinity = 1, start_at = us(60), body = function()
  expect(KeWaitForSingleObject(T1, {}) == "STATUS_WAIT_0", "T1's object signaled")
  local s = state(T1)
  expect(s.state == "Terminated" and s.exit_status == 3 and now() == us(100), "T1 ended at 100 us with status 3")
  expect(joined(log) == "terminate release released", "order: " .. joined(log))
end }
