-- E2/E3/E6 - attaching to the process that is already current
-- (SEMANTICS.md 1.G; rules E2, E3, E6, E1).
--
-- E2: "KeAttachProcess(P): no-op if P is already the current process". E3: "If P is
-- the current process -> Buf.Process = 1 (marker), nothing else." E6:
-- "KeUnstackDetachProcess(&Buf): no-op if Buf.Process == 1." KeDetachProcess of a
-- thread that is not attached does nothing either.
--
-- T1 (home P1) stack-attaches to P1 (marker), stack-attaches to P2 (real), then to
-- P2 again (marker, nested), and unwinds in order; an NK queued for the Original
-- environment while in P2 runs only at the real detach. KeAttachProcess(P1) and
-- KeDetachProcess() at home change nothing.
machine { cpus = 1 }

local P1 = process { name = "P1" }
local P2 = process { name = "P2" }
local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end

local T1
local function where() local s = state(T1) return s.process .. "/" .. s.ApcStateIndex end

T1 = thread { name = "T1", process = P1, system = true, body = function()
  KeAttachProcess(P1)
  expect(where() == "P1/0", "E2: attaching to the current process is a no-op")
  KeDetachProcess()
  expect(where() == "P1/0", "detaching a thread that is not attached does nothing")

  local M1 = KeStackAttachProcess(P1)
  expect(where() == "P1/0", "E3: marker, nothing else")
  local B = KeStackAttachProcess(P2)
  expect(where() == "P2/1", "E3: a real attach")
  local M2 = KeStackAttachProcess(P2)
  expect(where() == "P2/1", "E3: P2 is current: marker")
  expect(KeInsertQueueApc(KeInitializeApc { thread = T1, name = "N1",
    kernel_routine = function() rec("KR_N1/" .. where()) end,
    normal_routine = function() rec("NR_N1/" .. where()) end }), "N1 (Original) queued")
  expect(joined(state(T1).saved_kernel_queue) == "N1", "parked in SAS (E4)")
  KeUnstackDetachProcess(M2)
  rec("M2")
  expect(where() == "P2/1", "E6: the marker's detach is a no-op")
  KeUnstackDetachProcess(B)
  rec("B")
  expect(where() == "P1/0", "E6: the real detach")
  KeUnstackDetachProcess(M1)
  rec("M1")
  expect(where() == "P1/0", "E6: no-op")
  expect(joined(log) == "M2 KR_N1/P1/0 NR_N1/P1/0 B M1", "order: " .. joined(log))
end }
