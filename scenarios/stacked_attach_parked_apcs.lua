-- stacked_attach_parked_apcs.lua - APCs for the home process wait, parked, until the last detach.
--
-- Story: inside a system call, a thread of app.exe attaches to db.exe with
-- KeStackAttachProcess, and from there (nested) to log.exe, to copy data
-- between the two address spaces. While it is away from home, CPU 0 queues it
-- two normal kernel APCs for the Original environment (its home, app.exe): N1
-- during the first attachment and N2 during the nested one. Both are parked in
-- the thread's SavedApcState: no pending flag, no interrupt, nothing runs. A
-- special APC S3 aimed at the Attached environment, by contrast, runs at once
-- in log.exe. The first KeUnstackDetachProcess goes back to db.exe and still
-- delivers nothing; the second one restores app.exe's APC state, finds N1 and
-- N2 there and delivers them, in app.exe, before the thread goes on.
--
-- Look for: the marks "attach db.exe", "attach log.exe (nested)", "detach to
-- db.exe", "home again", each after its APC_STATE_MOVE row (ApcStateIndex 0 -> 1
-- at the first attach, 1 -> 0 only at the last detach); APC_INSERT N1 and N2 with env=Original and no
-- KernelApcPending row and no SWINT_REQUEST after them (parked); APC_INSERT S3
-- env=Attached, followed at once by ROUTINE_BEGIN S3 on CPU 1; at the last
-- detach (255 us) KernelApcPending 0 -> 1, the APC SWINT, then ROUTINE_BEGIN N1
-- KR/NR and N2 KR/NR, and only then the mark "home again".
--
-- Rules: E1 (not attached: Original = ApcState), E3 (stacked attach: the first
-- moves ApcState into SavedApcState; the nested one moves the first attachment's
-- state into the caller's buffer, Original still means SavedApcState), E4/I6
-- (APCs for a non-current environment are parked, not signalled), E5 (nothing is
-- left in the attached environment at detach), E6 (unstack detach restores the
-- buffer, then the home state; a non-empty restored kernel list sets
-- KernelApcPending and requests the APC interrupt); case C13.
machine { cpus = 2 }

local app = process { name = "app.exe" }
local db = process { name = "db.exe" }
local log = process { name = "log.exe" }

local order = {}
local function step(s) order[#order + 1] = s; mark(s) end
local function so_far() return table.concat(order, " | ") end
local function joined(t) return table.concat(t, " ") end

local worker
local function where() return state(worker).process end

local function kernel_apc(name, env, special)
  local o = { thread = worker, name = name, environment = env,
    kernel_routine = function() step(name .. ".KR in " .. where()); compute(us(5)) end }
  if not special then
    o.normal_routine = function() step(name .. ".NR in " .. where()); compute(us(10)) end
  end
  return KeInitializeApc(o)
end

worker = thread { name = "worker", process = app, affinity = 2, body = function()   -- on CPU 1
  compute(us(10))
  syscall("NtCopyBetweenProcesses", function()
    local s = state(worker)
    expect(s.ApcStateIndex == 0 and s.process == "app.exe", "at home, not attached (E1)")

    local first = KeStackAttachProcess(db)
    step("attach db.exe")
    s = state(worker)
    expect(s.ApcStateIndex == 1 and s.process == "db.exe" and s.home_process == "app.exe", "attached to db.exe (E3)")
    compute(us(90))                                 -- N1 arrives at 50 us

    local second = KeStackAttachProcess(log)
    step("attach log.exe (nested)")
    s = state(worker)
    expect(s.ApcStateIndex == 1 and s.process == "log.exe", "nested attach: index stays 1 (E3)")
    compute(us(100))                                -- N2 at 150 us, S3 at 170 us

    s = state(worker)
    expect(joined(s.saved_kernel_queue) == "N1 N2", "N1 and N2 parked in SavedApcState (E4): "
           .. joined(s.saved_kernel_queue))
    expect(#s.kernel_queue == 0 and not s.KernelApcPending, "nothing pending in the current environment (I6)")

    KeUnstackDetachProcess(second)
    step("detach to db.exe")
    s = state(worker)
    expect(s.process == "db.exe" and s.ApcStateIndex == 1, "back in db.exe, still attached (E6)")
    expect(joined(s.saved_kernel_queue) == "N1 N2", "N1 and N2 still parked")
    compute(us(50))

    KeUnstackDetachProcess(first)
    step("home again")
    s = state(worker)
    expect(s.process == "app.exe" and s.ApcStateIndex == 0, "home: app.exe, not attached (E6)")
    expect(#s.kernel_queue == 0 and #s.saved_kernel_queue == 0, "all delivered")
    return "STATUS_SUCCESS"
  end)
  expect(so_far() == "attach db.exe | N1 parked | attach log.exe (nested) | N2 parked | S3 queued | S3.KR in log.exe | "
         .. "detach to db.exe | N1.KR in app.exe | N1.NR in app.exe | N2.KR in app.exe | N2.NR in app.exe | home again",
         "parked APCs ran only after the last detach, at home: " .. so_far())
end }

at(us(50), function()                               -- while attached to db.exe
  expect(KeInsertQueueApc(kernel_apc("N1", "OriginalApcEnvironment")), "insert N1")
  expect(not state(worker).KernelApcPending, "parked: no KernelApcPending (I6)")
  step("N1 parked")
end, { cpu = 0 })

at(us(150), function()                              -- while attached to log.exe (nested)
  expect(KeInsertQueueApc(kernel_apc("N2", "OriginalApcEnvironment")), "insert N2")
  step("N2 parked")
end, { cpu = 0 })

at(us(170), function()                              -- an APC for the process it is attached to
  expect(KeInsertQueueApc(kernel_apc("S3", "AttachedApcEnvironment", true)), "insert S3")
  step("S3 queued")
end, { cpu = 0 })
