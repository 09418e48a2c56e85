-- C02 - Special APCs jump ahead of normal ones (SEMANTICS.md 2, C02; rules I5, D3, D9, R1).
--
-- Case: "T1 on CPU1 at APC_LEVEL. T2 inserts NK N1, NK N2, SK S1, SK S2, NK N3.
-- Expected kernel list: [S1, S2, N1, N2, N3]. When T1 lowers to PASSIVE, one
-- KiDeliverApc call runs: KR_S1@APC, KR_S2@APC, KR_N1@APC, NR_N1@PASSIVE,
-- KR_N2@APC, NR_N2@PASSIVE, KR_N3@APC, NR_N3@PASSIVE. (I5, D3)"
-- Also checked: KAIP is TRUE only while an NR runs (D3, D9); KAP is set by the
-- remote insertion (I8) and cleared by the delivery (D2); nothing runs while
-- T1 stays at APC_LEVEL (R3). "One KiDeliverApc call" is checked in the trace:
-- one APC software interrupt is taken in the whole run.
-- expect-dump-count: 1 SWINT_DISPATCH level=APC_LEVEL
machine { cpus = 2 }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local IRQL = { [0] = "PASSIVE", [1] = "APC", [2] = "DISPATCH" }
local function at_irql() return IRQL[current_irql()] or tostring(current_irql()) end

local T1
local function apc(name, special)
  local o = {
    thread = T1, name = name,
    kernel_routine = function(a, ctl)
      expect(current_thread() == T1, "KR_" .. name .. " runs in T1's context")
      expect(current_mode() == "KernelMode", "KR_" .. name .. " runs in kernel mode (D9)")
      expect(state(T1).KernelApcInProgress == false, "KAIP is FALSE while KR_" .. name .. " runs (D3)")
      rec("KR_" .. name .. "@" .. at_irql())
    end,
  }
  if not special then
    o.normal_routine = function(ctx)
      expect(state(T1).KernelApcInProgress == true, "KAIP is TRUE while NR_" .. name .. " runs (D3, D9)")
      expect(ctx == name .. "-ctx", "NR_" .. name .. " receives its NormalContext")
      rec("NR_" .. name .. "@" .. at_irql())
    end
    o.context = name .. "-ctx"
  end
  return KeInitializeApc(o)
end

T1 = thread { name = "T1", system = true, affinity = 2, body = function()
  KeRaiseIrql(APC_LEVEL)
  compute(us(100))
  expect(#log == 0, "nothing is delivered while T1 is at APC_LEVEL (R3): " .. joined(log))
  local s = state(T1)
  expect(s.KernelApcPending == true, "KAP still TRUE while T1 is at APC_LEVEL")
  expect(joined(s.kernel_queue) == "S1 S2 N1 N2 N3", "kernel list before delivery: " .. joined(s.kernel_queue))
  rec("lower")
  KeLowerIrql(PASSIVE_LEVEL)
  rec("lowered")
  expect(joined(log) == "lower KR_S1@APC KR_S2@APC KR_N1@APC NR_N1@PASSIVE KR_N2@APC NR_N2@PASSIVE "
         .. "KR_N3@APC NR_N3@PASSIVE lowered", "delivery order (I5, D3): " .. joined(log))
  s = state(T1)
  expect(#s.kernel_queue == 0, "kernel list empty after delivery")
  expect(s.KernelApcPending == false, "KAP cleared by KiDeliverApc (D2)")
  expect(s.KernelApcInProgress == false, "KAIP FALSE after delivery")
  expect(current_irql() == PASSIVE_LEVEL, "back at PASSIVE")
end }

thread { name = "T2", system = true, affinity = 1, start_at = us(10), body = function()
  expect(state(T1).irql == APC_LEVEL, "T1 is at APC_LEVEL when T2 inserts")
  for _, spec in ipairs { { "N1", false }, { "N2", false }, { "S1", true }, { "S2", true }, { "N3", false } } do
    expect(KeInsertQueueApc(apc(spec[1], spec[2])) == true, "insert " .. spec[1] .. " returns TRUE")
  end
  local s = state(T1)
  expect(joined(s.kernel_queue) == "S1 S2 N1 N2 N3", "kernel list [S1 S2 N1 N2 N3] (I5): " .. joined(s.kernel_queue))
  expect(s.KernelApcPending == true, "KAP set by the insertion (I8)")
  expect(#s.user_queue == 0, "user list untouched")
end }
