-- DIFF row 1 - what "deliverable now" means for the win10 self-insertion
-- (SEMANTICS.md 1.B I7 [DIFF], Profiles table row 1; rules I7, D3, R3).
--
-- I7: "[DIFF] modern Windows sets KAP and requests the interrupt only if the APC
-- is deliverable right now (CAD == 0, or SK with SAD == 0)." The test is on the
-- disable counts only: KernelApcInProgress is not part of it.
--
-- T runs NK N1; N1's normal routine (PASSIVE, KAD = SAD = 0, KernelApcInProgress
-- set) raises to APC_LEVEL - so the interrupt stays latched and KAP can be seen -
-- and inserts NK N2 into T itself. CAD is 0, so under both profiles KAP is set
-- and an interrupt requested; N2 runs after N1's normal routine has returned
-- (D3: no NK while one is in progress), in the same delivery.
-- args: --profile nt52
-- args: --profile win10
machine { cpus = 1 }
local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local T
T = thread { name = "T", system = true, body = function()
  local N2 = KeInitializeApc { thread = T, name = "N2", normal_routine = function() rec("N2") end }
  local N1 = KeInitializeApc { thread = T, name = "N1", normal_routine = function()
    local s = state(T)
    expect(s.KernelApcDisable == 0 and s.SpecialApcDisable == 0 and s.KernelApcInProgress, "CAD 0, KAIP set")
    local old = KeRaiseIrql(1)
    expect(KeInsertQueueApc(N2), "self-insert N2")
    expect(state(T).KernelApcPending == true, "CAD == 0: KAP set under " .. current_profile())
    KeLowerIrql(old)
    rec("N1 done")
  end }
  KeInsertQueueApc(N1)
  expect(table.concat(log, " ") == "N1 done N2", "N2 after N1's normal routine: " .. table.concat(log, " "))
end }
