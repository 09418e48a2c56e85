-- C14 variant - an attached-environment kernel APC queued while the attached thread
-- is switched out at PASSIVE runs when it is switched back in, in the attached
-- process, before its code continues (SEMANTICS.md 2, C14; rules K2, E5, I8).
--
-- K2: "If N was switched out at PASSIVE (from KiSwapThread in a wait, or
-- KiExitDispatcher) -> SwapContext returns TRUE and the resuming code lowers to
-- APC_LEVEL, calls KiDeliverApc(Kernel) directly". I8: a Ready target gets
-- "only KAP = TRUE; delivery happens at the next context switch into the thread
-- (K2)". C14: attached-environment kernel APCs run "while AS.Process = P2", and
-- "N1 never runs in P1".
--
-- 1 CPU. T1, a user thread of P1, makes a system call that attaches to P2 and
-- yields: KeDelayExecutionThread(UserMode, FALSE, 0), what NtDelayExecution(FALSE, 0)
-- does - a plain yield (W1.4); T3, of the same priority, is ready, so T1 is
-- switched out at PASSIVE.
-- T3 inserts NK N1 (Attached environment) into the Ready T1 - only KAP - and ends.
-- When T1 is switched back in, N1 must run (K2) in P2 before the yield returns,
-- i.e. before T1 even reaches its KeUnstackDetachProcess.
machine { cpus = 1 }

local P1 = process { name = "P1" }
local P2 = process { name = "P2" }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local IRQL = { [0] = "PASSIVE", [1] = "APC", [2] = "DISPATCH" }
local function at_irql() return IRQL[current_irql()] or tostring(current_irql()) end

local T1
T1 = thread { name = "T1", process = P1, body = function()
  syscall("NtWorkInP2", function()
    local B = KeStackAttachProcess(P2)
    compute(us(10))                                   -- T3 becomes ready at 5 us (same priority: no preemption)
    rec("yield")
    local st = KeDelayExecutionThread("UserMode", false, 0)
    local s = state(T1)
    rec("yield-returned")
    expect(st == "STATUS_SUCCESS", "the zero delay returns STATUS_SUCCESS (W8)")
    expect(#s.kernel_queue == 0 and not s.KernelApcPending,
           "K2: N1 was delivered as T1 was switched back in; KAP = " .. tostring(s.KernelApcPending)
           .. ", kernel list = " .. joined(s.kernel_queue))
    KeUnstackDetachProcess(B)
    rec("detached")
    expect(joined(log) == "yield N1-inserted KR_N1@APC/P2 NR_N1@PASSIVE/P2 yield-returned detached",
           "N1 runs in P2 when T1 is switched back in, before the yield returns: " .. joined(log))
    return "STATUS_SUCCESS"
  end)
end }

thread { name = "T3", system = true, start_at = us(5), body = function()
  expect(state(T1).state == "Ready", "T1 yielded: Ready")
  local N1 = KeInitializeApc { thread = T1, name = "N1", environment = "AttachedApcEnvironment",
    kernel_routine = function() rec("KR_N1@" .. at_irql() .. "/" .. state(T1).process) end,
    normal_routine = function() rec("NR_N1@" .. at_irql() .. "/" .. state(T1).process) end }
  expect(KeInsertQueueApc(N1), "insert N1")
  rec("N1-inserted")
  expect(state(T1).KernelApcPending and state(T1).state == "Ready", "I8: a Ready target gets KAP only")
end }
