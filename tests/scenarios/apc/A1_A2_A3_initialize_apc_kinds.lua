-- A1, A2, A3: KeInitializeApc records the APC and touches no queue or flag
-- (A1); without a normal routine the APC is special: KernelMode whatever the
-- caller said, context dropped (A2); with one, the mode argument picks normal
-- kernel vs user (A3) - visible in which list the insertion uses (I4).
machine { cpus = 1 }
local seen_ctx = "unset"
local T
T = thread { name = "T", system = true, body = function()
  KeRaiseIrql(APC_LEVEL)                       -- hold delivery back (R3)
  local before = state()
  local sk = KeInitializeApc { thread = T, name = "SK", mode = "UserMode", context = "ctx",
                               kernel_routine = function(apc, ctl) seen_ctx = ctl.context end }
  local nk = KeInitializeApc { thread = T, name = "NK", mode = "KernelMode", normal_routine = function() end }
  local u = KeInitializeApc { thread = T, name = "U", mode = "UserMode", normal_routine = function() end }
  local after = state()
  expect(#after.kernel_queue == 0 and #after.user_queue == 0, "A1: initialization queues nothing")
  expect(after.KernelApcPending == before.KernelApcPending and after.UserApcPending == before.UserApcPending,
         "A1: initialization changes no flag")
  KeInsertQueueApc(sk); KeInsertQueueApc(nk); KeInsertQueueApc(u)
  local s = state()
  expect(s.kernel_queue[1] == "SK" and s.kernel_queue[2] == "NK", "A2/A3: SK and NK in the kernel list")
  expect(s.user_queue[1] == "U" and #s.user_queue == 1, "A3: the user APC in the user list")
  KeLowerIrql(PASSIVE_LEVEL)
  expect(seen_ctx == nil, "A2: a special APC's context is NULL, got " .. tostring(seen_ctx))
end }
