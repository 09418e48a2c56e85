-- DIFF2b_nested_special_apc_keeps_the_in_progress_bit_D3: [DIFF] row 2 with
-- a nested delivery. S2's KernelRoutine lowers to PASSIVE while the special
-- APC S3 and the normal APC N3 are pending: the nested KiDeliverApc runs S3.
-- win10 keeps its "special APC in progress" bit set for the whole of S2's KR,
-- so N3 waits until S2's KR has returned; S3's KR returning must not clear
-- the bit (it did, and N3 ran inside S2's KR as under nt52). nt52 and
-- ReactOS block normal APCs only with KernelApcInProgress: N3 runs nested.
-- Rules: D3, D3 [DIFF] (profiles row 2).
-- args: --profile nt52
-- args: --profile reactos
-- args: --profile win10
machine { cpus = 2 }
local order = {}
local function step(s) order[#order + 1] = s; mark(s) end
local T1
T1 = thread { name = "T1", system = true, affinity = 2, body = function()
  local S2 = KeInitializeApc { thread = T1, name = "S2", kernel_routine = function()
    step("KR_S2-begin")
    compute(us(20))                 -- S3 and N3 arrive at 110 us
    KeLowerIrql(PASSIVE_LEVEL)
    step("KR_S2-at-passive")
    KeRaiseIrql(APC_LEVEL)
    step("KR_S2-end")
  end }
  compute(us(100))
  KeInsertQueueApc(S2)
  step("done")
end }
at(us(110), function()
  KeInsertQueueApc(KeInitializeApc { thread = T1, name = "N3",
    kernel_routine = function() step("KR_N3") end, normal_routine = function() step("NR_N3") end })
  KeInsertQueueApc(KeInitializeApc { thread = T1, name = "S3", kernel_routine = function() step("KR_S3") end })
end, { cpu = 0 })
at(ms(1), function()
  local want = current_profile() == "win10"
    and "KR_S2-begin KR_S3 KR_S2-at-passive KR_S2-end KR_N3 NR_N3 done"
    or "KR_S2-begin KR_S3 KR_N3 NR_N3 KR_S2-at-passive KR_S2-end done"
  local got = table.concat(order, " ")
  expect(got == want, current_profile() .. ": " .. got)
end)
