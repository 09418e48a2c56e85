-- SU1 / SU2 - two special user APCs queued to a running thread at the same instant
-- (SEMANTICS.md 1.L; rules SU1, SU2, D4, D5).
--
-- SU1: "executes even if the thread is not alertable. If the target is running user
-- code ... it is interrupted immediately". SU2: "a separate "special user APC
-- pending" bit; KiDeliverApc's user phase takes the first special user APC anywhere
-- in the user list ... After a special APC, NtContinue does not TestAlert unless a
-- regular APC was pending". D5: one user NR per transition to user mode.
--
-- T1 computes 100 us of user code on CPU 1. At 20 us T2 (CPU 0) queues special F1
-- and, in the same instant, special F2. T1 is interrupted: F1 runs (its kernel exit),
-- its NtContinue returns to user mode through the exit path again, where the
-- special pending bit is still set, so F2 runs; then T1's code resumes. Each
-- routine computes 5 us: T1 is done at 110 us.
-- args: --profile win10
machine { cpus = 2 }
expect(current_profile() == "win10", "run with --profile win10")

local app = process { name = "app" }
local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end

local T1
T1 = thread { name = "T1", process = app, affinity = 2, body = function()
  compute(us(100))
  rec("T1-done@" .. now() // 1000)
  expect(joined(log) == "queued F1@20/UserMode F2@25/UserMode T1-done@110", "order: " .. joined(log))
end }

thread { name = "T2", process = app, affinity = 1, start_at = us(20), body = function()
  local function F(tag) return function() rec(tag .. "@" .. now() // 1000 .. "/" .. current_mode()) compute(us(5)) end end
  expect(QueueUserAPC2(F("F1"), T1, nil, QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC), "F1 accepted")
  expect(QueueUserAPC2(F("F2"), T1, nil, QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC), "F2 accepted")
  rec("queued")
end }
