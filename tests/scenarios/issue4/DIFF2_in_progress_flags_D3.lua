-- DIFF row 2 - in-progress flags (SEMANTICS.md 1.C D3 [DIFF], Profiles table row 2;
-- rules D3, I5, R1, R3).
--
-- Profiles row 2: "in-progress flags (D3) | nt52: KAIP only around NR | reactos:
-- same | win10: also during NK KR, extra bit during SK KR". D3: "[DIFF] modern
-- Windows (decompiled KiDeliverApc) sets an in-progress flag already while the KR of
-- an NK runs and a second "special APC in progress" bit while an SK's KR runs; the
-- NK-blocking test uses "any in-progress bit"."
--
-- One script, run under nt52 and under win10. Part 1: T1 inserts NK N1, NK N2 (its
-- KR cancels the NR) and SK S1 into itself at APC_LEVEL and lowers: each routine
-- records KernelApcInProgress (state() shows KAIP; the special bit is not in
-- state()). Part 2 makes the special bit visible through its effect: the KR of SK
-- S2 drops to PASSIVE while NK N3, inserted from CPU 0, is pending; the APC
-- interrupt then runs a nested KiDeliverApc, which delivers N3 inside S2's KR
-- (nt52: no in-progress bit set) or stops at N3 (win10: the special bit blocks
-- NKs), in which case N3 runs when S2's KR has returned, in the same outer loop.
--   nt52:  KAIP only around NR_N1.
--   win10: KAIP also while the NK kernel routines run (N1 and the cancelling N2);
--          N3 waits for the end of S2's kernel routine.
-- args: --profile nt52
-- args: --profile win10
machine { cpus = 2 }
local WANT = ({
  nt52 = {
    part1 = "KR_S1:- KR_N1:- NR_N1:KAIP KR_N2:- after:-",
    part2 = "KR_S2-begin KR_N3 NR_N3 KR_S2-at-passive KR_S2-end done" },
  win10 = {
    part1 = "KR_S1:- KR_N1:KAIP NR_N1:KAIP KR_N2:KAIP after:-",
    part2 = "KR_S2-begin KR_S2-at-passive KR_S2-end KR_N3 NR_N3 done" },
})[current_profile()]
expect(WANT ~= nil, "run with --profile nt52 or --profile win10, not " .. current_profile())

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local function kaip() return state(current_thread()).KernelApcInProgress and "KAIP" or "-" end

local T1
T1 = thread { name = "T1", system = true, affinity = 2, body = function()
  -- Part 1: KernelApcInProgress as each routine sees it.
  local N1 = KeInitializeApc { thread = T1, name = "N1",
    kernel_routine = function() rec("KR_N1:" .. kaip()) end,
    normal_routine = function() rec("NR_N1:" .. kaip()) end }
  local N2 = KeInitializeApc { thread = T1, name = "N2",
    kernel_routine = function(apc, ctl) rec("KR_N2:" .. kaip()); ctl.normal_routine = nil end,
    normal_routine = function() rec("NR_N2") end }
  local S1 = KeInitializeApc { thread = T1, name = "S1", kernel_routine = function() rec("KR_S1:" .. kaip()) end }
  KeRaiseIrql(APC_LEVEL)
  KeInsertQueueApc(N1); KeInsertQueueApc(N2); KeInsertQueueApc(S1)
  KeLowerIrql(PASSIVE_LEVEL)                         -- one KiDeliverApc: S1, N1, N2 (I5, D3)
  rec("after:" .. kaip())
  expect(joined(log) == WANT.part1, "part 1: " .. joined(log))

  -- Part 2: an SK's kernel routine that lets IRQL drop to PASSIVE while a normal
  -- APC N3 (inserted from CPU 0 at 110 us) is pending.
  log = {}
  local S2 = KeInitializeApc { thread = T1, name = "S2", kernel_routine = function()
    rec("KR_S2-begin")
    compute(us(20))                                  -- N3 arrives at 110 us: KAP + APC request, masked
    KeLowerIrql(PASSIVE_LEVEL)                       -- the latched APC interrupt fires here
    rec("KR_S2-at-passive")
    KeRaiseIrql(APC_LEVEL)                           -- KR returns at APC_LEVEL (D3)
    rec("KR_S2-end")
  end }
  compute(us(100) - now())                           -- until 100 us
  KeInsertQueueApc(S2)
  rec("done")
  expect(joined(log) == WANT.part2, "part 2: " .. joined(log))
end }

at(us(110), function()
  KeInsertQueueApc(KeInitializeApc { thread = T1, name = "N3",
    kernel_routine = function() rec("KR_N3") end, normal_routine = function() rec("NR_N3") end })
end, { cpu = 0 })
