-- C25 - Removing and flushing (SEMANTICS.md 2, C25; rules I10, I11, I8, AL5, A7, D10).
--
-- Case: "T1 KAD = -1 with NK N1, N2 queued (blocked); KAP TRUE.
-- KeRemoveQueueApc(N1) -> TRUE (N1.Inserted FALSE, KAP still TRUE because N2
-- remains); KeRemoveQueueApc(N1) -> FALSE; KeRemoveQueueApc(N2) -> TRUE and the
-- list is now empty -> KAP = FALSE. Then U1, U2 are queued to T1 and UAP is TRUE
-- (e.g. armed by NtTestAlert); KeFlushQueueApc(T1, UserMode) returns the chain
-- U1->U2, both not inserted, user list empty, UAP still TRUE, and no KR/NR/RR is
-- invoked by the flush. ... (I10, I11)"
--
-- How KAP stays TRUE with blocked NKs: T1 waits at PASSIVE inside a critical
-- region, so T2's insertions only set KAP (I8: KAD != 0 -> no wake for an NK).
-- UAP is armed by T1 itself with KeTestAlertThread(UserMode) (what NtTestAlert
-- does, AL5). T1 is a system thread and never returns to user mode, so the
-- "UAP TRUE with an empty user list" state (D10) is never reached by a return
-- to user mode here.
machine { cpus = 1 }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end

local E = event { name = "E" }
local T1
local U1, U2

T1 = thread { name = "T1", system = true, body = function()
  KeEnterCriticalRegion()
  KeWaitForSingleObject(E)                  -- T2 inserts, removes, queues meanwhile
  local s = state(T1)
  expect(#s.kernel_queue == 0, "kernel list empty after the removals")
  expect(joined(s.user_queue) == "U1 U2", "U1 U2 queued: " .. joined(s.user_queue))
  expect(s.UserApcPending == false, "UAP FALSE (T1 was not in a user-mode wait)")
  expect(KeTestAlertThread("UserMode") == false, "KeTestAlertThread(User): no alert")
  expect(state(T1).UserApcPending == true, "UAP armed by KeTestAlertThread (AL5)")
  local chain = KeFlushQueueApc(T1, "UserMode")
  local names = {}
  for i, a in ipairs(chain) do names[i] = tostring(a) end
  expect(joined(names) == "U1 U2", "KeFlushQueueApc returns the chain U1 -> U2 (I11): " .. joined(names))
  s = state(T1)
  expect(#s.user_queue == 0, "user list empty after the flush")
  expect(s.UserApcPending == true, "UAP still TRUE: the flush does not clear it (I11)")
  expect(KeRemoveQueueApc(U1) == false and KeRemoveQueueApc(U2) == false, "both flushed APCs are not inserted")
  expect(#log == 0, "no KR/NR/RR was invoked by the flush (I11, A7): " .. joined(log))
  expect(#KeFlushQueueApc(T1, "UserMode") == 0, "a second flush returns an empty chain")
  KeLeaveCriticalRegion()
  expect(#log == 0, "nothing to deliver on leave")
end }

thread { name = "T2", system = true, start_at = us(10), body = function()
  local function apc(name, mode)
    return KeInitializeApc { thread = T1, name = name, mode = mode,
      kernel_routine = function() rec("KR_" .. name) end,
      normal_routine = function() rec("NR_" .. name) end,
      rundown_routine = function() rec("RR_" .. name) end }
  end
  local N1, N2 = apc("N1", "KernelMode"), apc("N2", "KernelMode")
  expect(KeInsertQueueApc(N1) and KeInsertQueueApc(N2), "N1, N2 inserted")
  local s = state(T1)
  expect(s.state == "Waiting", "T1 not woken: NKs blocked by KAD (I8)")
  expect(s.KernelApcPending == true, "KAP TRUE")
  expect(joined(s.kernel_queue) == "N1 N2", "[N1 N2]")
  expect(KeRemoveQueueApc(N1) == true, "KeRemoveQueueApc(N1) -> TRUE (I10)")
  s = state(T1)
  expect(joined(s.kernel_queue) == "N2", "[N2] left")
  expect(s.KernelApcPending == true, "KAP still TRUE: N2 remains (I10)")
  expect(KeRemoveQueueApc(N1) == false, "KeRemoveQueueApc(N1) again -> FALSE (not inserted)")
  expect(KeRemoveQueueApc(N2) == true, "KeRemoveQueueApc(N2) -> TRUE")
  s = state(T1)
  expect(#s.kernel_queue == 0, "kernel list empty")
  expect(s.KernelApcPending == false, "list became empty -> KAP = FALSE (I10)")
  U1, U2 = apc("U1", "UserMode"), apc("U2", "UserMode")
  expect(KeInsertQueueApc(U1) and KeInsertQueueApc(U2), "U1, U2 inserted")
  expect(state(T1).state == "Waiting", "user APCs do not wake a KernelMode waiter")
  expect(#log == 0, "no routine called by removal (I10): " .. joined(log))
  KeSetEvent(E, 0)
end }
