-- C06 nested variant - Normal kernel APC and two nested critical regions
-- (SEMANTICS.md 2, C06; rules R4, R6, R7, D3).
--
-- Case: "Nested variant KAD = -2: the first Leave does nothing, the second
-- delivers." Same set-up as C06 with two KeEnterCriticalRegion calls.
machine { cpus = 1 }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local IRQL = { [0] = "PASSIVE", [1] = "APC", [2] = "DISPATCH" }
local function at_irql() return IRQL[current_irql()] or tostring(current_irql()) end

local T1
T1 = thread { name = "T1", system = true, body = function()
  KeEnterCriticalRegion()
  KeEnterCriticalRegion()
  expect(state(T1).KernelApcDisable == -2, "KAD = -2")
  local N1 = KeInitializeApc { thread = T1, name = "N1",
    kernel_routine = function() rec("KR_N1@" .. at_irql()) end,
    normal_routine = function() rec("NR_N1@" .. at_irql()) end }
  expect(KeInsertQueueApc(N1) == true, "self-insertion succeeds")
  expect(#log == 0 and joined(state(T1).kernel_queue) == "N1", "N1 blocked and queued")
  rec("leave1")
  KeLeaveCriticalRegion()
  rec("left1")
  expect(joined(log) == "leave1 left1", "first leave (KAD -2 -> -1) delivers nothing: " .. joined(log))
  expect(state(T1).KernelApcDisable == -1, "KAD = -1")
  expect(joined(state(T1).kernel_queue) == "N1", "N1 still queued")
  rec("leave2")
  KeLeaveCriticalRegion()
  rec("left2")
  expect(joined(log) == "leave1 left1 leave2 KR_N1@APC NR_N1@PASSIVE left2",
         "second leave (KAD -> 0) delivers N1 before returning: " .. joined(log))
  expect(state(T1).KernelApcDisable == 0, "KAD = 0")
end }
