-- T2_termination_request_while_the_body_returned_thread_exits_T1_T2: a thread
-- whose body returned exits exactly as a self-termination (T1 sets the
-- Terminated flag), so a cross-thread PsTerminateThread that comes while it
-- runs PspExitThread (here inside a rundown routine, after Q = FALSE) finds the
-- flag and returns STATUS_SUCCESS with no second exit APC (T2). It returned
-- STATUS_UNSUCCESSFUL and tried to insert one. Run once per way of ending.
-- args: --param how=return
-- args: --param how=self
-- expect-no-dump: APC_REFUSED T1.ExitApc
machine { cpus = 2 }
local app = process { name = "app" }
local how = param("how", "return")
local got
local T1
T1 = thread { name = "T1", process = app, affinity = 2, body = function()
  syscall("NtQueueApcThread", function()
    local U1 = KeInitializeApc { thread = T1, name = "U1", mode = "UserMode",
      normal_routine = function() end,
      rundown_routine = function() mark("RR_U1 begin"); compute(us(100)); mark("RR_U1 end") end }
    KeInsertQueueApc(U1)
  end)
  compute(us(10))
  if how == "self" then NtTerminateThread(T1, 0) end
  return 0
end }
at(us(50), function()
  local s = state(T1)
  mark("T1 ApcQueueable=" .. tostring(s.ApcQueueable) .. " state=" .. s.state)
  got = PsTerminateThread(T1, 5)
  mark("PsTerminateThread(T1)=" .. got)
end, { cpu = 0 })
at(us(500), function()
  expect(got == "STATUS_SUCCESS", "T2: Terminated flag already set by the self-termination -> STATUS_SUCCESS, got " .. tostring(got))
end, { cpu = 0 })
