-- D5_T4_exit_apc_let_in_by_a_user_apc_kernel_routine: a termination request
-- comes while the KernelRoutine of a user APC runs on the way back to user
-- mode. When IRQL drops after it, the exit APC's kernel phase runs and puts
-- it at the head of the user list with UserApcPending set (T3); the
-- return-to-user loop runs while UAP (D5), so the exit APC is delivered next
-- and ends the thread (T4): U1's NormalRoutine, already prepared, never runs
-- in user mode (it did). Rules: D5, T3, T4.
-- expect-no-dump: NR_U1 runs in user mode
-- expect-no-dump: T back in user code
-- expect-dump-order: APC_DEQUEUE T.ExitApc state=0 list=UserMode why=0
-- expect-dump-order: THREAD_EXIT exit_status=7
machine { cpus = 2 }
local E = event { name = "E" }
local T
T = thread { name = "T", affinity = 2, body = function()
  local r = NtWaitForSingleObject(E, true)
  mark("T back in user code after wait=" .. tostring(r))
end }
at(us(10), function()
  local U1 = KeInitializeApc { thread = T, name = "U1", mode = "UserMode",
    kernel_routine = function() mark("KR_U1 begin"); compute(us(20)); mark("KR_U1 end") end,
    normal_routine = function() mark("NR_U1 runs in user mode (" .. current_mode() .. ")") end }
  KeInsertQueueApc(U1)
end, { cpu = 0 })
thread { name = "K", affinity = 1, start_at = us(15), body = function()
  mark("NtTerminateThread -> " .. NtTerminateThread(T, 7))
end }
