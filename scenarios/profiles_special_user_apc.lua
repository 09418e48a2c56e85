-- profiles_special_user_apc.lua - a special user APC: refused by NT 5.2 and ReactOS, prompt on Windows 10.
--
-- Story: a sender thread queues two APCs to a busy worker that never waits
-- alertably while it computes: F1 with QueueUserAPC2(...,
-- QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC), then a regular U5 with QueueUserAPC.
-- It also queues a special F3 to a second thread blocked in a non-alertable wait.
-- Under the default profile (nt52, Server 2003) and under reactos the special
-- APCs do not exist: QueueUserAPC2 fails and F1/F3 never run. Under win10 F1
-- interrupts the worker's user code at once and runs although the worker is
-- not alertable; U5 still waits for the worker's alertable SleepEx. F3 does not
-- break the non-alertable wait: it runs when that wait ends (with its own
-- result, WAIT_OBJECT_0), before the caller sees the result. The outcome checks
-- branch on current_profile().
--
-- Run it under each profile (the file itself does not pick one):
--   ./build/apcsim run scenarios/profiles_special_user_apc.lua                    (nt52, the default)
--   ./build/apcsim run scenarios/profiles_special_user_apc.lua --profile reactos
--   ./build/apcsim run scenarios/profiles_special_user_apc.lua --profile win10
--
-- Look for: at 100 us SYSCALL_ENTER NtQueueApcThreadEx with no APC_INSERT
-- (nt52, reactos) or APC_INSERT SpecialUserApc (win10); under win10 an APC
-- SWINT on CPU 1 interrupting user mode and ROUTINE_BEGIN SpecialUserApc
-- UserApcNormalRoutine (mark "F1") at 100 us, with no wait and no UNWAIT; under
-- every profile U5 (mark "U5") runs only inside SleepEx (at 400 us, 410 us under
-- win10); under win10 the mark "F3" at 200 us right after the waiter's WAIT_END
-- and SYSCALL_EXIT, before "waiter: WAIT_OBJECT_0".
--
-- Rules: SU1 (runs even if the thread is not alertable; interrupts user code;
-- does not interrupt a non-alertable wait, runs when it ends), SU2 (own pending
-- bit; the NtContinue after a special APC does not TestAlert, so U5 stays
-- queued), SU3 and the Profiles table (refused with STATUS_NOT_SUPPORTED outside
-- win10), I8/W2 for U5; case C26.
-- args:
-- args: --profile reactos
-- args: --profile win10
machine { cpus = 2 }

local app = process { name = "app.exe" }
local E = event { name = "E" }
local win10 = current_profile() == "win10"

local order = {}
local function step(s) order[#order + 1] = s; mark(s) end
local function so_far() return table.concat(order, " | ") end

local worker, waiter
local function apc(ctx) step(ctx); compute(us(10)) end

worker = thread { name = "worker", process = app, affinity = 2, body = function()   -- on CPU 1
  compute(us(300))                                  -- busy user code, never alertable here
  step("worker: work done")
  expect(now() == (win10 and us(310) or us(300)), "F1 took 10 us out of the work under win10 only")
  compute(us(100))
  local r = SleepEx(0, true)                        -- the first alertable wait: U5 runs here
  step("worker: SleepEx=" .. tostring(r))
  expect(r == "WAIT_IO_COMPLETION", "U5 runs in the alertable wait: " .. tostring(r))

  -- The worker ends last: the whole story, per profile.
  local want
  if win10 then
    want = "queued | F1 | SetEvent(E) | F3 | waiter: WAIT_OBJECT_0 | worker: work done | U5 | "
           .. "worker: SleepEx=WAIT_IO_COMPLETION"
  else
    want = "queued | SetEvent(E) | waiter: WAIT_OBJECT_0 | worker: work done | U5 | worker: SleepEx=WAIT_IO_COMPLETION"
  end
  expect(so_far() == want, current_profile() .. ": " .. so_far())
end }

waiter = thread { name = "waiter", process = app, affinity = 1, body = function()   -- on CPU 0
  local r = WaitForSingleObject(E, INFINITE)        -- not alertable
  step("waiter: " .. r)
  expect(r == "WAIT_OBJECT_0", "the wait returns its own result")
  expect(now() == (win10 and us(210) or us(200)),
         "F3 did not break the wait: it ended when E was set at 200 us (then F3 ran 10 us under win10)")
end }

thread { name = "sender", process = app, affinity = 1, start_at = us(100), body = function()   -- on CPU 0
  local f1 = QueueUserAPC2(apc, worker, "F1", QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC)
  local st = NtQueueApcThreadEx(waiter, QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC, apc, "F3")
  expect(QueueUserAPC(apc, worker, "U5"), "a regular QueueUserAPC works under every profile")
  if win10 then
    expect(f1 and st == "STATUS_SUCCESS", "win10 accepts special user APCs (SU1)")
  else
    expect(not f1 and st == "STATUS_NOT_SUPPORTED", current_profile() .. " refuses special user APCs (SU3): " .. st)
  end
  step("queued")
  Sleep(0.1)                                        -- until 200 us
  step("SetEvent(E)")
  SetEvent(E)
end }
