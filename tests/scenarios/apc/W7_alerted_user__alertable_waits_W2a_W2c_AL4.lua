-- W7 - condition already present at wait entry: Alerted[U] set; alertable KernelMode and
-- alertable UserMode wait (SEMANTICS.md 1.E W7; rules W7, W2a, W2c, AL4).
-- One scenario, run once per wait kind (the --param lines below; mode and alertable pick the
-- wait, WANT holds that cell; only the two alertable waits are cells of this file).
-- args: --param mode=KernelMode --param alertable=true
-- args: --param mode=UserMode --param alertable=true
--
-- W7: "Matrix - condition already present at wait entry (object not signaled): use W2 with
-- the flags as they are; kernel APCs already pending are delivered first (W1.1) if WaitIrql
-- is PASSIVE and SAD is 0."
-- Cells:
--   AK: A KernelMode wait tests Alerted[K] only (W2a with WaitMode = Kernel; W2c): the user alert is ignored and kept.
--       Expected: STATUS_TIMEOUT, blocking for the whole 1 ms.
--   AU: W2a: Alerted[WaitMode] -> clear it, STATUS_ALERTED.
--       Expected: STATUS_ALERTED, without blocking.
-- T1 (user thread) makes one system call that sets the condition up on itself, then
-- waits on event E with KeWaitForSingleObject(E, {mode = MODE, alertable = ALERTABLE, timeout = 1 ms}).
local MODE, ALERTABLE = param("mode", "KernelMode"), param("alertable", true)
expect((MODE == "KernelMode" or MODE == "UserMode") and type(ALERTABLE) == "boolean",
       "run with --param mode=KernelMode|UserMode --param alertable=true|false")
machine { cpus = 1 }

-- inside_u/inside_k: Alerted[U]/Alerted[K] right after the wait, still in kernel mode;
-- user_u: Alerted[U] back in user mode.
local WANT = ({
  AK = {
    status = "STATUS_TIMEOUT", status_msg = "the wait returns STATUS_TIMEOUT: ",
    waited = ms(1), waited_msg = "the wait blocked for the whole timeout: ",
    inside_u = true, inside_u_msg = "Alerted[U] = TRUE after the wait",
    inside_k = false, inside_k_msg = "Alerted[K] = FALSE after the wait",
    log = "wait=STATUS_TIMEOUT",
    user_u = true, user_u_msg = "Alerted[U] = TRUE in user mode",
  },
  AU = {
    status = "STATUS_ALERTED", status_msg = "the wait returns STATUS_ALERTED: ",
    waited = 0, waited_msg = "the wait did not block: ",
    inside_u = false, inside_u_msg = "Alerted[U] = FALSE after the wait",
    inside_k = false, inside_k_msg = "Alerted[K] = FALSE after the wait",
    log = "wait=STATUS_ALERTED",
    user_u = false, user_u_msg = "Alerted[U] = FALSE in user mode",
  },
})[(ALERTABLE and "A" or "N") .. (MODE == "KernelMode" and "K" or "U")]
expect(WANT ~= nil, "run with --param alertable=true (the non-alertable waits are not cells of this file)")

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end

local T1

local E = event { name = "E", signaled = false }

T1 = thread { name = "T1", body = function()
  syscall("NtTest", function()
    expect(KeAlertThread(T1, "UserMode") == false, "set Alerted[U] (NtAlertThread on itself, AL2)")
    local t0 = now()
    local st = KeWaitForSingleObject(E, { mode = MODE, alertable = ALERTABLE, timeout = ms(1) })
    local waited = now() - t0
    rec("wait=" .. st)
    expect(st == WANT.status, WANT.status_msg .. st)
    expect(waited == WANT.waited, WANT.waited_msg .. waited)
    local s = state(T1)
    expect(s.Alerted.UserMode == WANT.inside_u, WANT.inside_u_msg)
    expect(s.Alerted.KernelMode == WANT.inside_k, WANT.inside_k_msg)
  end)
  local s = state(T1)
  expect(joined(log) == WANT.log, "after the return to user mode: " .. joined(log))
  expect(s.Alerted.UserMode == WANT.user_u, WANT.user_u_msg)
end }
