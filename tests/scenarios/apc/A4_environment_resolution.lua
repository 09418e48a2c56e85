-- A4: CurrentApcEnvironment is resolved at initialization (the thread's
-- ApcStateIndex then); InsertApcEnvironment at insertion. I4/I6: the queue is
-- ApcStatePointer[index]; an index that is not current parks the APC.
machine { cpus = 1 }
local P2 = process { name = "P2" }
local T
T = thread { name = "T", system = true, body = function()
  local st = KeStackAttachProcess(P2)
  expect(state().ApcStateIndex == 1, "attached")
  -- initialized while attached: Current -> Attached (1); Insert stays open
  local cur = KeInitializeApc { thread = T, name = "CUR", environment = "CurrentApcEnvironment",
                                normal_routine = function() end }
  local ins = KeInitializeApc { thread = T, name = "INS", environment = "InsertApcEnvironment",
                                normal_routine = function() end }
  KeEnterCriticalRegion()                      -- keep the normal APCs queued (R4)
  KeUnstackDetachProcess(st)
  expect(state().ApcStateIndex == 0, "detached")
  KeInsertQueueApc(cur)                        -- index 1 = SavedApcState now: parked (I6)
  KeInsertQueueApc(ins)                        -- resolved now to 0: the live ApcState
  local s = state()
  expect(s.saved_kernel_queue[1] == "CUR", "A4: Current resolved at init -> parked in SAS")
  expect(s.kernel_queue[1] == "INS" and #s.kernel_queue == 1, "A4: Insert resolved at insertion -> ApcState")
  expect(not s.KernelApcPending, "I7 then D2: the interrupt fired and cleared KernelApcPending (C06)")
  KeLeaveCriticalRegion()
  expect(#state().kernel_queue == 0, "INS delivered on leaving the region")
  expect(state().saved_kernel_queue[1] == "CUR", "CUR stays parked")
end }
