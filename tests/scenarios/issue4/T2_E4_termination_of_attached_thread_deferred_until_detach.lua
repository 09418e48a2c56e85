-- The exit APC of a thread that is attached waits for the detach
-- (SEMANTICS.md 1.H T2, 1.G E4, 1.B I6; rules T2, E4, I6, E6, T3, T4).
--
-- T2: the exit APC is an NK for the "Original env". I6/E4: an APC for an environment
-- that is not current is "parked in SAS ... not signalled, not delivered, and do[es]
-- not wake the thread". E6: the detach restores it and requests the APC interrupt.
--
-- T1 (user thread, CPU 1) is in a system call, attached to P2 with
-- KeStackAttachProcess, waiting KernelMode on E. At 10 us it is terminated: the exit
-- NK goes to SAS, T1 is not woken. E is set at 50 us; T1 detaches: the exit NK runs
-- at once (E6), re-queues itself as the user exit APC (T3); T1 finishes its call and
-- dies at its exit (T4), at 50 us.
machine { cpus = 2 }

local app = process { name = "app" }
local P2 = process { name = "P2" }
local E = event { name = "E" }
local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end

local T1
T1 = thread { name = "T1", process = app, affinity = 2, body = function()
  syscall("NtWorkInP2", function()
    local B = KeStackAttachProcess(P2)
    local st = KeWaitForSingleObject(E, { mode = "KernelMode" })
    rec("wait=" .. st .. "@" .. now() // 1000)
    local s = state(T1)
    expect(joined(s.saved_kernel_queue) == "T1.ExitApc" and #s.kernel_queue == 0, "the exit NK is parked in SAS")
    KeUnstackDetachProcess(B)
    rec("detached")
    s = state(T1)
    expect(#s.kernel_queue == 0 and joined(s.user_queue) == "T1.ExitApc" and s.UserApcPending,
           "delivered right after the detach: the user exit APC is queued (E6, T3)")
    return "STATUS_SUCCESS"
  end)
  expect(false, "T1 never returns to user mode (T4)")
end }

at(us(10), function()
  expect(PsTerminateThread(T1, 12) == "STATUS_SUCCESS", "terminate")
  local s = state(T1)
  expect(s.state == "Waiting" and not s.KernelApcPending, "parked: no wake, no KAP (I6)")
  rec("terminate")
end, { cpu = 0 })
at(us(50), function() KeSetEvent(E, 0) end, { cpu = 0 })
at(us(100), function()
  local s = state(T1)
  expect(s.state == "Terminated" and s.exit_status == 12, "T1 ended with status 12")
  expect(joined(log) == "terminate wait=STATUS_WAIT_0@50 detached", "order: " .. joined(log))
end, { cpu = 0 })
