-- C26 - Special user APC (Windows-target mode only) (SEMANTICS.md 2, C26; rules
-- SU1, SU2, D6, W2, I8).
--
-- Case: "Win10 1809+/Win11, 2 CPUs. T1 runs user code on CPU1; T3 is in a
-- non-alertable user wait on event E; T4 is in an alertable user wait with an empty
-- user queue. Actions: queue special user APC F1 to T1 and, right after it, regular
-- user APC U5 to T1; queue special F3 to T3; queue special F4 to T4; later signal E.
-- Expected: T1 is interrupted promptly and runs F1 in user mode although it never
-- waits alertably, then resumes its code; U5 stays queued (the NtContinue that ends
-- a special APC does not TestAlert) until T1's next alertable wait. T3 is not woken;
-- F3 runs right after E is signaled, on that wait's return to user mode, and the
-- wait's own result (STATUS_WAIT_0) is what the caller finally sees. T4's wait ends
-- with STATUS_USER_APC and F4 runs before the caller resumes. ... [UNCERTAIN: kernel
-- internals; the observable contract is Microsoft's documented one] (SU1-SU3)"
--
-- The sender T2 (CPU 0) queues at 100 us and signals E at 200 us. Each APC routine
-- computes 10 us. apcsim names the APCs queued by NtQueueApcThreadEx
-- "SpecialUserApc" (special) and "UserApc" (regular).
-- args: --profile win10
machine { cpus = 2 }
expect(current_profile() == "win10", "run with --profile win10")

local app = process { name = "app" }
local E = event { name = "E" }
local E4 = event { name = "E4" }
local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end

local T1, T3, T4
local function routine(tag)
  return function()
    rec(tag .. "@" .. now() // 1000 .. "/" .. current_mode())
    compute(us(10))
  end
end

T1 = thread { name = "T1", process = app, affinity = 2, body = function()
  compute(us(300))                                   -- never alertable while it works
  rec("T1-work-done@" .. now() // 1000)
  local s = state(T1)
  expect(joined(s.user_queue) == "UserApc" and s.UserApcPending == false,
         "U5 still queued, UAP FALSE: the NtContinue after F1 did not TestAlert (SU2, D6)")
  local r = SleepEx(0, true)
  rec("T1-SleepEx=" .. tostring(r))
  expect(r == "WAIT_IO_COMPLETION", "the next alertable wait runs U5")
end }

T3 = thread { name = "T3", process = app, affinity = 1, body = function()
  local r = WaitForSingleObject(E, INFINITE)
  rec("T3-wait=" .. r .. "@" .. now() // 1000)
  expect(r == "WAIT_OBJECT_0", "T3's caller sees the wait's own result (SU1)")
end }

T4 = thread { name = "T4", process = app, affinity = 1, body = function()
  local r = WaitForSingleObjectEx(E4, INFINITE, true)
  rec("T4-wait=" .. r .. "@" .. now() // 1000)
  expect(r == "WAIT_IO_COMPLETION", "T4's alertable wait ends with STATUS_USER_APC (SU1)")
end }

thread { name = "T2", process = app, affinity = 1, start_at = us(100), body = function()
  expect(state(T1).state == "Running" and state(T1).mode == "UserMode", "T1 runs user code")
  expect(state(T3).state == "Waiting" and state(T4).state == "Waiting", "T3 and T4 wait")
  expect(QueueUserAPC2(routine("F1"), T1, nil, QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC), "F1 accepted (win10)")
  expect(QueueUserAPC(routine("U5"), T1, nil), "U5 queued")
  expect(QueueUserAPC2(routine("F3"), T3, nil, QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC), "F3 accepted")
  expect(QueueUserAPC2(routine("F4"), T4, nil, QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC), "F4 accepted")
  expect(state(T3).state == "Waiting", "T3 is not woken: its wait is not alertable (SU1)")
  expect(state(T4).state ~= "Waiting", "T4's alertable wait is interrupted at once (SU1)")
  rec("queued")
  Sleep(0.1)                                         -- until 200 us (T4's F4 runs meanwhile)
  expect(state(T3).state == "Waiting" and joined(state(T3).user_queue) == "SpecialUserApc", "F3 still pending")
  rec("SetEvent")
  SetEvent(E)
end }

thread { name = "checker", system = true, affinity = 1, start_at = us(500), body = function()
  -- F1 (CPU 1) and F4 (CPU 0) both run at 100 us; their relative order in the log
  -- is that of two CPUs at the same instant, so F1 is checked on its own.
  local others = {}
  for _, e in ipairs(log) do
    if e ~= "F1@100/UserMode" then others[#others + 1] = e end
  end
  expect(#others == #log - 1, "F1 ran exactly once, at 100 us, in user mode (SU1): " .. joined(log))
  expect(joined(others) == "queued F4@100/UserMode T4-wait=WAIT_IO_COMPLETION@110 SetEvent "
         .. "F3@200/UserMode T3-wait=WAIT_OBJECT_0@210 T1-work-done@310 U5@310/UserMode T1-SleepEx=WAIT_IO_COMPLETION",
         "order: " .. joined(log))
end }
