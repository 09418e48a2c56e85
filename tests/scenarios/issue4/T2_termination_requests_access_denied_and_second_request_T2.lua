-- T2 - cross-thread termination requests: system threads refuse, a second request
-- adds no second exit APC, the requester never waits (SEMANTICS.md 1.H T2; rules
-- T2, T3, R4).
--
-- T2: "PspTerminateThreadByPointer(T, status): system threads -> STATUS_ACCESS_DENIED.
-- Allocate a KAPC; atomically set T's Terminated flag; if it was already set -> free
-- the KAPC, return STATUS_SUCCESS (no second APC). Else initialize it as an NK ...
-- insert ... Increment 2 ... and return STATUS_SUCCESS. The requester never waits."
--
-- At 20 us a DPC on CPU 0 tries to terminate the system thread K (ACCESS_DENIED,
-- nothing queued) and terminates user thread T1 twice (status 8, then 9) while T1
-- is in a critical region of a system call: both return STATUS_SUCCESS, one exit APC
-- only; T1 ends with the first status, 8, when its call returns. Once both have
-- ended, K still refuses (the system-thread test comes first) and T1 accepts.
machine { cpus = 2 }

local app = process { name = "app" }
local K, T1
K = thread { name = "K", system = true, affinity = 1, body = function()
  KeDelayExecutionThread("KernelMode", false, us(100))
end }

T1 = thread { name = "T1", process = app, affinity = 2, body = function()
  syscall("NtWork", function()
    KeEnterCriticalRegion()
    compute(us(50))
    KeLeaveCriticalRegion()
    return "STATUS_SUCCESS"
  end)
  expect(false, "T1 never returns to user mode (T4)")
end }

at(us(20), function()
  expect(PsTerminateThread(K, 1) == "STATUS_ACCESS_DENIED", "a system thread: STATUS_ACCESS_DENIED (T2)")
  expect(#state(K).kernel_queue == 0 and state(K).state == "Waiting", "nothing queued to K")
  expect(PsTerminateThread(T1, 8) == "STATUS_SUCCESS", "first request")
  expect(table.concat(state(T1).kernel_queue, " ") == "T1.ExitApc", "one exit NK queued")
  expect(PsTerminateThread(T1, 9) == "STATUS_SUCCESS", "second request: STATUS_SUCCESS (T2)")
  expect(table.concat(state(T1).kernel_queue, " ") == "T1.ExitApc", "no second exit APC (T2)")
end, { cpu = 0 })

at(us(200), function()
  local s = state(T1)
  expect(s.state == "Terminated" and s.exit_status == 8, "T1 ended with the first status, 8: "
         .. tostring(s.exit_status))
  expect(state(K).state == "Terminated" and state(K).exit_status == 0, "K ended on its own")
  -- T2 tests "system thread" before the Terminated flag: even a system thread
  -- that has ended refuses; an ended user thread answers STATUS_SUCCESS.
  expect(PsTerminateThread(K, 2) == "STATUS_ACCESS_DENIED", "an ended system thread: STATUS_ACCESS_DENIED (T2)")
  expect(PsTerminateThread(T1, 3) == "STATUS_SUCCESS", "an ended user thread: STATUS_SUCCESS (T2)")
end, { cpu = 0 })
