-- C13 - Original-environment APC while attached runs only after detach
-- (SEMANTICS.md 2, C13; rules E1, E3, E4, E6, I6, I8, W6).
--
-- Case: "T1 (home process P1) calls KeStackAttachProcess(P2, &B) -> Idx = 1,
-- B.Process = NULL. T2 inserts NK N1 into T1 with OriginalApcEnvironment. T1 then
-- waits KernelMode at PASSIVE for 10 ms and calls KeUnstackDetachProcess(&B).
-- Expected: N1 lands in SAS's kernel list; no KAP on AS, no IPI, no wake during the
-- wait (I6); N1 not run while attached; at detach AS := P1's state, kernel list
-- non-empty -> KAP = TRUE + APC interrupt -> KR_N1@APC, NR_N1@PASSIVE right after
-- the detach returns, with current process P1. (E4, E6)"
--
-- Set-up: 2 CPUs; T1 is a user thread of P1 on CPU 1 that does the attach, the
-- wait and the detach inside one system call; T2 is a system thread on CPU 0 that
-- inserts N1 at 5 ms, in the middle of T1's 10 ms wait.
-- "Right after the detach returns": E6 requests the APC interrupt as the last act
-- of the detach, at PASSIVE, so it is taken before the caller's next statement;
-- the marks "detach" and "detached" bracket KR_N1 and NR_N1.
machine { cpus = 2 }

local P1 = process { name = "P1" }
local P2 = process { name = "P2" }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local IRQL = { [0] = "PASSIVE", [1] = "APC", [2] = "DISPATCH" }
local function at_irql() return IRQL[current_irql()] or tostring(current_irql()) end

local T1
T1 = thread { name = "T1", process = P1, affinity = 2, body = function()
  syscall("NtWorkInP2", function()
    local s = state(T1)
    -- E1: not attached.
    expect(s.ApcStateIndex == 0 and s.process == "P1" and s.home_process == "P1", "E1: not attached, in P1")
    expect(#s.saved_kernel_queue == 0 and #s.saved_user_queue == 0, "E1: SavedApcState unused")

    local B = KeStackAttachProcess(P2)
    rec("attached")
    s = state(T1)
    expect(s.ApcStateIndex == 1 and s.process == "P2" and s.home_process == "P1",
           "E3: first stack attach: Idx = 1, current process P2")
    expect(#s.kernel_queue == 0 and not s.KernelApcPending, "E3: a fresh ApcState for P2")

    local st = KeWaitForSingleObject(event { name = "never" }, { mode = "KernelMode", timeout = ms(10) })
    rec("wait=" .. st)
    expect(st == "STATUS_TIMEOUT", "the wait was not ended by N1 (I6: no wake): " .. st)
    expect(now() == ms(10), "the wait lasted its full 10 ms: " .. now())
    s = state(T1)
    expect(joined(s.saved_kernel_queue) == "N1", "N1 parked in SavedApcState (E4): " .. joined(s.saved_kernel_queue))
    expect(#s.kernel_queue == 0 and s.KernelApcPending == false, "nothing in the live ApcState, KAP FALSE (I6)")

    rec("detach")
    KeUnstackDetachProcess(B)
    rec("detached")
    s = state(T1)
    expect(s.ApcStateIndex == 0 and s.process == "P1", "E6: back home, Idx = 0")
    expect(#s.kernel_queue == 0 and #s.saved_kernel_queue == 0 and not s.KernelApcPending, "N1 consumed")
    return "STATUS_SUCCESS"
  end)
  expect(joined(log) == "attached N1-inserted wait=STATUS_TIMEOUT detach KR_N1@APC/P1 NR_N1@PASSIVE/P1 detached",
         "N1 runs only after the detach, in P1 (E4, E6): " .. joined(log))
end }

thread { name = "T2", system = true, affinity = 1, start_at = ms(5), body = function()
  local s = state(T1)
  expect(s.state == "Waiting" and s.ApcStateIndex == 1, "T1 waits, attached to P2")
  local N1 = KeInitializeApc { thread = T1, name = "N1", environment = "OriginalApcEnvironment",
    kernel_routine = function() rec("KR_N1@" .. at_irql() .. "/" .. state(T1).process) end,
    normal_routine = function() rec("NR_N1@" .. at_irql() .. "/" .. state(T1).process) end }
  expect(KeInsertQueueApc(N1) == true, "insertion succeeds")
  rec("N1-inserted")
  s = state(T1)
  expect(s.state == "Waiting", "I6: no wake for an APC parked in a non-current environment")
  expect(s.KernelApcPending == false, "I6: no KernelApcPending on the live ApcState")
  expect(joined(s.saved_kernel_queue) == "N1" and #s.kernel_queue == 0, "I4/E4: N1 went to Ptr[Original] = SAS")
end }
