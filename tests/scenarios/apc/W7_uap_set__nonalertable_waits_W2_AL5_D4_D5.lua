-- W7 - condition already present at wait entry: user APC U1 queued and UAP TRUE (armed by KeTestAlertThread);
-- non-alertable KernelMode and non-alertable UserMode wait (SEMANTICS.md 1.E W7; rules W7, W2, AL5, D4, D5).
-- One scenario, run once per wait kind (the --param lines below; mode and alertable pick the
-- wait, WANT holds that cell; only the two non-alertable waits are cells of this file).
-- args: --param mode=KernelMode --param alertable=false
-- args: --param mode=UserMode --param alertable=false
--
-- W7: "Matrix - condition already present at wait entry (object not signaled): use W2 with
-- the flags as they are; kernel APCs already pending are delivered first (W1.1) if WaitIrql
-- is PASSIVE and SAD is 0."
-- Cells:
--   NK: A KernelMode wait ignores UAP; UAP stays TRUE, so U1 runs at the return to user mode (D5).
--       Expected: STATUS_TIMEOUT, blocking for the whole 1 ms.
--   NU: W2 not alertable: WaitMode == User and UAP -> STATUS_USER_APC (UAP is left set).
--       Expected: STATUS_USER_APC, without blocking.
-- T1 (user thread) makes one system call that sets the condition up on itself, then
-- waits on event E with KeWaitForSingleObject(E, {mode = MODE, alertable = ALERTABLE, timeout = 1 ms}).
local MODE, ALERTABLE = param("mode", "KernelMode"), param("alertable", false)
expect((MODE == "KernelMode" or MODE == "UserMode") and type(ALERTABLE) == "boolean",
       "run with --param mode=KernelMode|UserMode --param alertable=true|false")
machine { cpus = 1 }

-- inside_uap/inside_queue: UAP and the user list right after the wait, still in kernel mode;
-- user_uap/user_queue: back in user mode.
local WANT = ({
  NK = {
    status = "STATUS_TIMEOUT", status_msg = "the wait returns STATUS_TIMEOUT: ",
    waited = ms(1), waited_msg = "the wait blocked for the whole timeout: ",
    inside_uap = true, inside_uap_msg = "UAP = TRUE after the wait",
    inside_queue = "U1",
    log = "wait=STATUS_TIMEOUT NR_U1",
    user_uap = false, user_uap_msg = "UAP = FALSE in user mode",
    user_queue = "",
  },
  NU = {
    status = "STATUS_USER_APC", status_msg = "the wait returns STATUS_USER_APC: ",
    waited = 0, waited_msg = "the wait did not block: ",
    inside_uap = true, inside_uap_msg = "UAP = TRUE after the wait",
    inside_queue = "U1",
    log = "wait=STATUS_USER_APC NR_U1",
    user_uap = false, user_uap_msg = "UAP = FALSE in user mode",
    user_queue = "",
  },
})[(ALERTABLE and "A" or "N") .. (MODE == "KernelMode" and "K" or "U")]
expect(WANT ~= nil, "run with --param alertable=false (the alertable waits are not cells of this file)")

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end

local T1

local E = event { name = "E", signaled = false }

T1 = thread { name = "T1", body = function()
  syscall("NtTest", function()
    local U1 = KeInitializeApc { thread = T1, name = "U1", mode = "UserMode",
      normal_routine = function() rec("NR_U1") end }
    expect(KeInsertQueueApc(U1) == true, "queue U1 to itself (I7: no UAP)")
    KeTestAlertThread("UserMode")       -- what NtTestAlert does: arms UAP (AL5)
    expect(state(T1).UserApcPending == true, "UAP armed")
    local t0 = now()
    local st = KeWaitForSingleObject(E, { mode = MODE, alertable = ALERTABLE, timeout = ms(1) })
    local waited = now() - t0
    rec("wait=" .. st)
    expect(st == WANT.status, WANT.status_msg .. st)
    expect(waited == WANT.waited, WANT.waited_msg .. waited)
    local s = state(T1)
    expect(s.UserApcPending == WANT.inside_uap, WANT.inside_uap_msg)
    expect(joined(s.user_queue) == WANT.inside_queue, "user list after the wait: " .. joined(s.user_queue))
  end)
  local s = state(T1)
  expect(joined(log) == WANT.log, "after the return to user mode: " .. joined(log))
  expect(s.UserApcPending == WANT.user_uap, WANT.user_uap_msg)
  expect(joined(s.user_queue) == WANT.user_queue, "user list in user mode: " .. joined(s.user_queue))
end }
