-- SU1 - a special user APC queued to a thread inside a system call runs when the
-- call finishes (SEMANTICS.md 1.L SU1; rules SU1, SU2, D7).
--
-- SU1: "If the target is running user code or is in an alertable wait it is
-- interrupted immediately; if it is in a system call or a non-alertable wait, the
-- APC runs when the call/wait finishes (the wait is **not** interrupted)."
--
-- T1 (CPU 1) is in a 100 us system call (kernel code, no wait) when T2 queues special
-- F at 20 us. F runs at 100 us, on the call's return to user mode, before the
-- instruction after the call; the call's own result is what T1 sees.
-- args: --profile win10
machine { cpus = 2 }
expect(current_profile() == "win10", "run with --profile win10")

local app = process { name = "app" }
local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end

local T1
T1 = thread { name = "T1", process = app, affinity = 2, body = function()
  local r = syscall("NtLongCall", function() compute(us(100)) return "STATUS_SUCCESS" end)
  rec("call=" .. r .. "@" .. now() // 1000)
  expect(r == "STATUS_SUCCESS", "the call's own result")
  expect(joined(log) == "queued F@100/UserMode call=STATUS_SUCCESS@100", "order: " .. joined(log))
end }

thread { name = "T2", process = app, affinity = 1, start_at = us(20), body = function()
  expect(state(T1).mode == "KernelMode", "T1 is in its system call")
  expect(QueueUserAPC2(function() rec("F@" .. now() // 1000 .. "/" .. current_mode()) end, T1, nil,
                       QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC), "F accepted")
  rec("queued")
end }
