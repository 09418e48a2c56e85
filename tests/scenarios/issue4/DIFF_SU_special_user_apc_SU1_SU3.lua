-- DIFF row "special user APCs" - refused by nt52 and reactos, supported by win10
-- (SEMANTICS.md 1.L, Profiles table row "special user APCs (1.L)"; rules SU1, SU3,
-- SU2).
--
-- Profiles: "special user APCs (1.L) | nt52: refused (STATUS_NOT_SUPPORTED) |
-- reactos: refused | win10: supported (SU1, SU2)". SU3: "ReactOS does not implement
-- them (NtQueueApcThreadEx2 with the special flag returns STATUS_NOT_SUPPORTED)."
-- SU1: "executes even if the thread is not alertable. If the target is running user
-- code ... it is interrupted immediately".
--
-- One script, run once under each profile (each run expects its profile's
-- outcome, see WANT). T1 computes 100 us of user code on CPU 1 and never waits alertably. At
-- 20 us T2 (CPU 0) asks for a special user APC F1 with NtQueueApcThreadEx and
-- QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC, at 60 us for F2 with QueueUserAPC2 and the
-- same flag. (Two special APCs queued at the same instant: see
-- SU1_two_special_user_apcs_queued_together_win10.lua.)
-- args: --profile nt52
-- args: --profile reactos
-- args: --profile win10
machine { cpus = 2 }
local WANT = ({
  -- nt52 (Server 2003): the flag is refused; nothing is queued, T1 is not interrupted.
  nt52 = { status = "STATUS_NOT_SUPPORTED", accepted = false, queued = 0,
    log = "queued queued T1-done@100" },
  -- reactos: refused as well (SU3).
  reactos = { status = "STATUS_NOT_SUPPORTED", accepted = false, queued = 0,
    log = "queued queued T1-done@100" },
  -- win10: both accepted; each interrupts T1's user code at once and runs in user
  -- mode (5 us each), then T1's code resumes: done at 110 us.
  win10 = { status = "STATUS_SUCCESS", accepted = true, queued = 1,
    log = "queued F1@20/UserMode queued F2@60/UserMode T1-done@110" },
})[current_profile()]

local app = process { name = "app" }
local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end

local T1
T1 = thread { name = "T1", process = app, affinity = 2, body = function()
  compute(us(100))
  rec("T1-done@" .. now() // 1000)
  expect(joined(log) == WANT.log, current_profile() .. ": " .. joined(log))
  expect(#state(T1).user_queue == 0, "nothing left queued")
end }

thread { name = "T2", process = app, affinity = 1, start_at = us(20), body = function()
  expect(WANT ~= nil, "run with --profile nt52, reactos or win10, not " .. current_profile())
  local function F(tag) return function() rec(tag .. "@" .. now() // 1000 .. "/" .. current_mode()) compute(us(5)) end end
  local st = NtQueueApcThreadEx(T1, QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC, F("F1"))
  expect(st == WANT.status, "NtQueueApcThreadEx(special) = " .. st)
  expect(#state(T1).user_queue == WANT.queued, "user APCs queued to T1: " .. #state(T1).user_queue)
  rec("queued")
  Sleep(0.04)                                        -- until 60 us
  local ok = QueueUserAPC2(F("F2"), T1, nil, QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC)
  expect(ok == WANT.accepted, "QueueUserAPC2(special) = " .. tostring(ok))
  expect(#state(T1).user_queue == WANT.queued, "user APCs queued to T1: " .. #state(T1).user_queue)
  rec("queued")
end }
