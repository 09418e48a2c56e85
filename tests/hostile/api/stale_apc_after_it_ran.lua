-- An APC used again after it ran, and by another thread after its target
-- ended.
-- expect-exit: 0
machine { cpus = 1 }
local A
thread { name = "T", system = true, body = function()
  A = KeInitializeApc { thread = current_thread(), name = "once", kernel_routine = function() end }
  KeInsertQueueApc(A)                          -- runs at once (special APC, PASSIVE)
  expect(KeRemoveQueueApc(A) == false, "remove after it ran")
  expect(KeInsertQueueApc(A, "x", "y") == true, "reinsert after it ran")
end }
thread { name = "U", system = true, start_at = ms(5), body = function()
  expect(KeInsertQueueApc(A) == false, "insert into a dead target")
  expect(KeRemoveQueueApc(A) == false, "remove from a dead target")
end }
