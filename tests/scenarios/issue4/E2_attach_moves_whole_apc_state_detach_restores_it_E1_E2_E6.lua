-- E2/E6 - KeAttachProcess moves the whole ApcState (both lists and the three flags)
-- into SavedApcState; KeDetachProcess moves it back (SEMANTICS.md 1.G; rules E1,
-- E2, E6, R4, D7, D4).
--
-- E2: "move the complete AS (both lists, Process, KAIP, KAP, UAP) into SAS;
-- re-initialize AS empty with Process = P and KAIP = KAP = UAP = FALSE; Ptr[0] = SAS,
-- Ptr[1] = AS, Idx = 1; ... Nothing is delivered by the attach itself." E6: "Else AS
-- := SAS, SAS.Process = NULL, Ptr[0] = AS, Ptr[1] = SAS, Idx = 0. KeDetachProcess
-- always does the latter. ... if the restored kernel list is non-empty -> KAP = TRUE
-- and request an APC interrupt ... The restored UAP/KAIP are whatever was saved".
--
-- T1 (user thread of P1) in a system call: in a critical region it gets NK N1
-- (blocked) and user APC U1, then arms UAP with KeTestAlertThread(UserMode) (AL5).
-- KeAttachProcess(P2): N1 and U1 move to SAS, AS is empty with KAP = UAP = FALSE.
-- Leaving the critical region in P2 delivers nothing (R4: P2's kernel list is
-- empty). KeDetachProcess: N1 and U1 come back, UAP TRUE again; N1 runs at once
-- (E6); U1 runs at the system-call exit because the restored UAP is set (D5).
machine { cpus = 2 }

local P1 = process { name = "P1" }
local P2 = process { name = "P2" }
local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end

local T1
T1 = thread { name = "T1", process = P1, affinity = 2, body = function()
  syscall("NtWork", function()
    KeEnterCriticalRegion()
    compute(us(50))                                  -- N1 and U1 arrive at 20 us
    expect(KeTestAlertThread("UserMode") == false, "no alert pending")
    local s = state(T1)
    expect(joined(s.kernel_queue) == "N1" and joined(s.user_queue) == "U1" and s.UserApcPending,
           "N1 blocked (R4), U1 queued, UAP armed (AL5)")
    expect(#s.saved_kernel_queue == 0 and #s.saved_user_queue == 0, "E1: SAS unused")

    KeAttachProcess(P2)
    rec("attached")
    s = state(T1)
    expect(s.ApcStateIndex == 1 and s.process == "P2" and s.home_process == "P1", "E2: Idx 1, P2")
    expect(joined(s.saved_kernel_queue) == "N1" and joined(s.saved_user_queue) == "U1",
           "E2: both lists moved to SAS")
    expect(#s.kernel_queue == 0 and #s.user_queue == 0, "E2: AS re-initialized empty")
    expect(not s.KernelApcPending and not s.UserApcPending and not s.KernelApcInProgress,
           "E2: KAP = UAP = KAIP = FALSE in the new AS")

    KeLeaveCriticalRegion()
    rec("left-region")
    expect(#log == 2, "nothing delivered: N1 is parked in SAS (E2, E4)")

    KeDetachProcess()
    rec("detached")
    s = state(T1)
    expect(s.ApcStateIndex == 0 and s.process == "P1", "E6: home")
    expect(#s.saved_kernel_queue == 0 and #s.saved_user_queue == 0, "E6: SAS empty again")
    expect(joined(s.user_queue) == "U1" and s.UserApcPending, "E6: U1 back, the saved UAP (TRUE) restored")
    return "STATUS_SUCCESS"
  end)
  rec("user-code")
  expect(joined(log) == "attached left-region KR_N1 NR_N1 detached U1 user-code", "order: " .. joined(log))
end }

at(us(20), function()
  expect(KeInsertQueueApc(KeInitializeApc { thread = T1, name = "N1",
    kernel_routine = function() rec("KR_N1") end, normal_routine = function() rec("NR_N1") end }), "N1")
  expect(KeInsertQueueApc(KeInitializeApc { thread = T1, name = "U1", mode = "UserMode",
    normal_routine = function() rec("U1") end }), "U1")
end, { cpu = 0 })
