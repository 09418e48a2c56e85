-- C14(a) - Attached-environment kernel APC delivered in the attached process
-- (SEMANTICS.md 2, C14; rules A4, I4, I8, E3, E4).
--
-- Case: "CPU1: T1 attached to P2 (Idx 1) at PASSIVE. (a) T2 inserts SK S1 with
-- InsertApcEnvironment -> resolved to 1, delivered immediately in P2's context."
-- A4: "InsertApcEnvironment (3) is kept and replaced *at insertion* by the thread's
-- Idx at that moment".
--
-- T1 (home P1, CPU 1) attaches to P2 with KeStackAttachProcess and computes. At
-- 50 us T2 (CPU 0) inserts S1 (InsertApcEnvironment): the IPI interrupts T1 and
-- KR_S1 runs at APC_LEVEL in P2 at 50 us. S2 is initialized the same way while T1
-- is attached but inserted only after the detach (150 us): its environment is
-- resolved then, to 0, and it runs in P1 - the resolution happens at insertion,
-- not at initialization.
machine { cpus = 2 }

local P1 = process { name = "P1" }
local P2 = process { name = "P2" }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local IRQL = { [0] = "PASSIVE", [1] = "APC", [2] = "DISPATCH" }
local function at_irql() return IRQL[current_irql()] or tostring(current_irql()) end

local T1, S2
local function sk(name)
  return KeInitializeApc { thread = T1, name = name, environment = "InsertApcEnvironment",
    kernel_routine = function()
      rec(name .. "@" .. at_irql() .. "/" .. state(T1).process .. "/" .. now() // 1000 .. "us")
    end }
end

T1 = thread { name = "T1", process = P1, system = true, affinity = 2, body = function()
  local B = KeStackAttachProcess(P2)
  rec("attached")
  compute(us(100))                                   -- S1 arrives at 50 us
  local s = state(T1)
  expect(#s.kernel_queue == 0 and #s.saved_kernel_queue == 0, "S1 was delivered, nothing parked")
  KeUnstackDetachProcess(B)
  rec("detached")
  compute(us(100))                                   -- S2 inserted at 150 us
  expect(joined(log) == "attached S1@APC/P2/50us detached S2@APC/P1/150us",
         "S1 in P2 at once; S2 resolved at insertion, runs in P1: " .. joined(log))
end }

at(us(50), function()
  expect(state(T1).state == "Running" and state(T1).irql == 0, "T1 runs at PASSIVE, attached")
  expect(KeInsertQueueApc(sk("S1")), "insert S1")
  S2 = sk("S2")                                      -- initialized while T1 is attached
end, { cpu = 0 })

at(us(150), function()
  expect(state(T1).ApcStateIndex == 0, "T1 is home")
  expect(KeInsertQueueApc(S2), "insert S2")
end, { cpu = 0 })
