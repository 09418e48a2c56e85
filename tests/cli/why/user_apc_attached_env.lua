-- T1 (user thread) in a system call attaches to other.exe with KeStackAttachProcess.
-- At 20 us a user APC U1 is inserted with InsertApcEnvironment -> resolved to 1 (attached env)
-- -> it lands in ApcState (the attached environment).  A user APC of the attached environment
-- can never be delivered: user APCs run only on a return to user mode, which is illegal while
-- attached (D7, E7); the detach with it queued is a bugcheck (E5, case C15).
machine { cpus = 2 }
local app = process { name = "app.exe" }
local other = process { name = "other.exe" }
expect_bugcheck("INVALID_PROCESS_DETACH_ATTEMPT")
local T1
T1 = thread { name = "T1", process = app, affinity = 2, body = function()
  syscall("NtSomething", function()
    local b = KeStackAttachProcess(other)
    compute(us(100))
    KeUnstackDetachProcess(b)
  end)
  mark("back in user mode")
end }
at(us(20), function()
  local U1 = KeInitializeApc { thread = T1, name = "U1", mode = "UserMode", environment = "InsertApcEnvironment",
    normal_routine = function() mark("NR_U1") end }
  expect(KeInsertQueueApc(U1), "U1")
end)
