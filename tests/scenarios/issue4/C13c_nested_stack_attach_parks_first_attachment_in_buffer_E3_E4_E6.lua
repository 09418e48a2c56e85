-- C13 variant: nested KeStackAttachProcess, APCs parked in SAS and in the caller's
-- buffer (SEMANTICS.md 2, C13; rules E3, E4, E6, I6, R4).
--
-- E3: "If already attached -> the *current* AS (the first attachment's environment)
-- is moved into **Buf**, AS is re-initialized for P; Ptr[] and Idx (= 1) are
-- unchanged, so "Original" still means SAS (home process) and "Attached" means the
-- newest."  E4: "APCs targeting an environment that is not current (I6) are parked
-- in SAS (or in a caller's Buf, which no index can address) and are not signalled,
-- not delivered". E6: "If Buf.Process != NULL -> AS := Buf (back to the previous
-- attachment, Idx stays 1). Else AS := SAS ... if the restored kernel list is
-- non-empty -> KAP = TRUE and request an APC interrupt".
--
-- T1 (home P1) attaches to P2 (B1) and enters a critical region; A1, a normal APC
-- for the Attached environment (= P2), arrives and is blocked (R4). T1 attaches to
-- P3 (B2): A1 moves with P2's state into B2. O1 (Original = P1) is parked in SAS;
-- S3, a special APC for the Attached environment (now P3), runs at once in P3.
-- Leaving the critical region in P3 delivers nothing (A1 is in B2). Unstacking B2
-- restores P2's state: A1 runs there, right after the detach. Unstacking B1
-- restores P1's state: O1 runs at home.
machine { cpus = 2 }

local P1 = process { name = "P1" }
local P2 = process { name = "P2" }
local P3 = process { name = "P3" }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end
local IRQL = { [0] = "PASSIVE", [1] = "APC", [2] = "DISPATCH" }
local function at_irql() return IRQL[current_irql()] or tostring(current_irql()) end

local T1
local function apc(name, env, special)
  local o = { thread = T1, name = name, environment = env,
    kernel_routine = function() rec("KR_" .. name .. "@" .. at_irql() .. "/" .. state(T1).process) end }
  if not special then
    o.normal_routine = function() rec("NR_" .. name .. "@" .. at_irql() .. "/" .. state(T1).process) end
  end
  return KeInitializeApc(o)
end

T1 = thread { name = "T1", process = P1, system = true, affinity = 2, body = function()
  local B1 = KeStackAttachProcess(P2)
  KeEnterCriticalRegion()
  rec("in-P2")
  compute(us(100))                                  -- A1 at 50 us
  local s = state(T1)
  expect(joined(s.kernel_queue) == "A1" and s.KernelApcDisable == -1, "A1 queued in P2's ApcState, blocked (R4)")

  local B2 = KeStackAttachProcess(P3)
  rec("in-P3")
  s = state(T1)
  expect(s.ApcStateIndex == 1 and s.process == "P3", "E3: nested attach keeps Idx = 1, current process P3")
  expect(#s.kernel_queue == 0 and not s.KernelApcPending, "E3: a fresh ApcState for P3; A1 went into B2")
  expect(#s.saved_kernel_queue == 0, "E3: SAS (P1's state) untouched by the nested attach")
  compute(us(100))                                  -- S3 at 150 us, O1 at 170 us
  s = state(T1)
  expect(joined(s.saved_kernel_queue) == "O1", "Original still means SAS (P1): O1 parked there (E3, E4)")

  KeLeaveCriticalRegion()
  rec("left-critical-region")
  expect(#state(T1).kernel_queue == 0, "nothing to deliver in P3: A1 sits in B2, which no index addresses (E4)")

  rec("unstack-B2")
  KeUnstackDetachProcess(B2)
  rec("back-in-P2")
  s = state(T1)
  expect(s.ApcStateIndex == 1 and s.process == "P2", "E6: AS := B2, still attached (Idx 1) to P2")
  expect(joined(s.saved_kernel_queue) == "O1", "O1 still parked in SAS")

  rec("unstack-B1")
  KeUnstackDetachProcess(B1)
  rec("home")
  s = state(T1)
  expect(s.ApcStateIndex == 0 and s.process == "P1", "E6: AS := SAS, Idx 0, home")
  expect(#s.kernel_queue == 0 and #s.saved_kernel_queue == 0, "all delivered")
  expect(joined(log) == "in-P2 A1-queued in-P3 KR_S3@APC/P3 O1-queued left-critical-region unstack-B2 "
         .. "KR_A1@APC/P2 NR_A1@PASSIVE/P2 back-in-P2 unstack-B1 KR_O1@APC/P1 NR_O1@PASSIVE/P1 home",
         "order: " .. joined(log))
end }

at(us(50), function()
  expect(KeInsertQueueApc(apc("A1", "AttachedApcEnvironment")), "insert A1")
  rec("A1-queued")
end, { cpu = 0 })
at(us(150), function()
  expect(KeInsertQueueApc(apc("S3", "AttachedApcEnvironment", true)), "insert S3")
end, { cpu = 0 })
at(us(170), function()
  expect(KeInsertQueueApc(apc("O1", "OriginalApcEnvironment")), "insert O1")
  local s = state(T1)
  expect(not s.KernelApcPending and s.state == "Running", "O1 parked: no KAP, no interrupt (I6)")
  rec("O1-queued")
end, { cpu = 0 })
