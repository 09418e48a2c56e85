-- I10 + E3 - KeRemoveQueueApc of an APC parked in a KeStackAttachProcess
-- buffer clears that buffer's KernelApcPending, and the trace says so: the
-- FIELD row names the buffer (StackAttachBuffer.KernelApcPending), not
-- SavedApcState, whose KernelApcPending stays TRUE (SEMANTICS.md I10, E3, E4).
--
-- T at APC_LEVEL queues NK O (Original env), stack-attaches to P2 (SAS = {O},
-- KAP TRUE), queues NK N in the attached env, stack-attaches to P3 (the buffer
-- = {N}, KAP TRUE), and removes N. After both detaches O runs at PASSIVE, in
-- T's own process; N never runs.
-- expect-dump: T APC_DEQUEUE N state=2 list=KernelMode why=1
-- expect-dump: T FIELD StackAttachBuffer.KernelApcPending from=1 to=0
machine { cpus = 1 }
local P2 = process { name = "P2" }
local P3 = process { name = "P3" }
local log = {}
local T
T = thread { name = "T", system = true, body = function()
  KeRaiseIrql(APC_LEVEL)
  local O = KeInitializeApc { thread = T, name = "O", normal_routine = function() log[#log + 1] = "O in " .. state(T).process end }
  KeInsertQueueApc(O)
  local st1 = KeStackAttachProcess(P2)
  local N = KeInitializeApc { thread = T, name = "N", environment = "AttachedApcEnvironment",
                              normal_routine = function() log[#log + 1] = "N" end }
  KeInsertQueueApc(N)
  local st2 = KeStackAttachProcess(P3)
  expect(KeRemoveQueueApc(N) == true, "N was in the buffer: removed (I10)")
  expect(table.concat(state(T).saved_kernel_queue, ",") == "O", "SAS still holds O")
  KeUnstackDetachProcess(st2)
  local s = state(T)
  expect(#s.kernel_queue == 0 and s.KernelApcPending == false, "P2's state back from the buffer: empty, KAP clear")
  KeUnstackDetachProcess(st1)
  KeLowerIrql(PASSIVE_LEVEL)
  expect(table.concat(log, " ") == "O in System", "O ran after the detaches, N never: " .. table.concat(log, " "))
end }
