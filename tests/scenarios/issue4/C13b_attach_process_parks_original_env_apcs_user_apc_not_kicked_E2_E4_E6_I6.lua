-- C13 variant with KeAttachProcess/KeDetachProcess and a user APC
-- (SEMANTICS.md 2, C13; rules E2, E4, E6, I6, W2).
--
-- Case C13: "N1 lands in SAS's kernel list; no KAP on AS, no IPI, no wake during
-- the wait (I6); N1 not run while attached; at detach AS := P1's state, kernel list
-- non-empty -> KAP = TRUE + APC interrupt -> KR_N1@APC, NR_N1@PASSIVE right after
-- the detach returns, with current process P1. (E4, E6)"
-- E6: "KeDetachProcess always does the latter [AS := SAS, Idx = 0] ... The restored
-- UAP/KAIP are whatever was saved; user APCs are not specially kicked."
--
-- Here T1 attaches with KeAttachProcess (E2) and waits *alertably in UserMode* for
-- 10 ms; T2 queues NK N1 and user APC U1, both for the Original environment. U1 is
-- parked in SAS's user list: it does not end the alertable wait (I6; W2b looks at
-- the live ApcState only). After KeDetachProcess N1 runs at once (E6) but U1 is
-- not kicked: UAP stays FALSE, so the system-call exit does not run it; the next
-- alertable SleepEx does (W2b).
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
    KeAttachProcess(P2)
    rec("attached")
    local s = state(T1)
    expect(s.ApcStateIndex == 1 and s.process == "P2", "E2: Idx = 1, current process P2")
    local st = KeWaitForSingleObject(event { name = "never" },
                                     { mode = "UserMode", alertable = true, timeout = ms(10) })
    rec("wait=" .. st)
    expect(st == "STATUS_TIMEOUT" and now() == ms(10), "no wake by the parked APCs (I6): " .. st)
    s = state(T1)
    expect(joined(s.saved_kernel_queue) == "N1" and joined(s.saved_user_queue) == "U1",
           "N1 and U1 parked in SavedApcState (E4)")
    expect(#s.user_queue == 0 and s.UserApcPending == false and s.KernelApcPending == false,
           "nothing pending in P2's ApcState (I6)")
    rec("detach")
    KeDetachProcess()
    rec("detached")
    s = state(T1)
    expect(s.ApcStateIndex == 0 and s.process == "P1", "E6: home")
    expect(joined(s.user_queue) == "U1" and s.UserApcPending == false,
           "E6: U1 restored to the user list, UAP not kicked")
    return "STATUS_SUCCESS"
  end)
  rec("back in user mode")
  expect(joined(state(T1).user_queue) == "U1", "U1 not run by the system-call exit (UAP FALSE, D5)")
  local r = SleepEx(0, true)
  rec("SleepEx=" .. tostring(r))
  expect(r == "WAIT_IO_COMPLETION", "the alertable SleepEx runs U1 (W2b)")
  expect(joined(log) == "attached queued wait=STATUS_TIMEOUT detach KR_N1@APC/P1 NR_N1@PASSIVE/P1 detached "
         .. "back in user mode NR_U1/P1 SleepEx=WAIT_IO_COMPLETION", "order: " .. joined(log))
end }

thread { name = "T2", system = true, affinity = 1, start_at = ms(5), body = function()
  expect(state(T1).state == "Waiting", "T1 waits alertably, attached")
  local N1 = KeInitializeApc { thread = T1, name = "N1",
    kernel_routine = function() rec("KR_N1@" .. at_irql() .. "/" .. state(T1).process) end,
    normal_routine = function() rec("NR_N1@" .. at_irql() .. "/" .. state(T1).process) end }
  local U1 = KeInitializeApc { thread = T1, name = "U1", mode = "UserMode",
    normal_routine = function() rec("NR_U1/" .. state(T1).process) end }
  expect(KeInsertQueueApc(N1) and KeInsertQueueApc(U1), "both insertions succeed")
  rec("queued")
  local s = state(T1)
  expect(s.state == "Waiting" and not s.UserApcPending and not s.KernelApcPending,
         "I6: no wake, no pending flag for APCs of a non-current environment")
end }
