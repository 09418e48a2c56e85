-- W7 - condition already present at wait entry: Alerted[U] and Alerted[K] set; all four waits:
-- Alertable/Non-alertable x KernelMode/UserMode (SEMANTICS.md 1.E W7; rules W7, W2, W2a, AL4, D7).
-- One scenario, run once per wait kind (the --param lines below; mode and alertable pick the
-- wait, WANT holds that cell).
-- args: --param mode=KernelMode --param alertable=true
-- args: --param mode=UserMode --param alertable=true
-- args: --param mode=KernelMode --param alertable=false
-- args: --param mode=UserMode --param alertable=false
--
-- W7: "Matrix - condition already present at wait entry (object not signaled): use W2 with
-- the flags as they are; kernel APCs already pending are delivered first (W1.1) if WaitIrql
-- is PASSIVE and SAD is 0."
-- Cells:
--   AK: W2a consumes Alerted[K] only; Alerted[U] stays.
--       Expected: STATUS_ALERTED, without blocking.
--   AU: W2a consumes Alerted[WaitMode] = Alerted[U] only; Alerted[K] survives the wait and is cleared by the return to user mode (D7).
--       Expected: STATUS_ALERTED, without blocking.
--   NK, NU: Non-alertable waits ignore alerts; nothing is consumed (Alerted[K] is then cleared by D7).
--       Expected: STATUS_TIMEOUT, blocking for the whole 1 ms.
-- T1 (user thread) makes one system call that sets the condition up on itself, then
-- waits on event E with KeWaitForSingleObject(E, {mode = MODE, alertable = ALERTABLE, timeout = 1 ms}).
local MODE, ALERTABLE = param("mode", "KernelMode"), param("alertable", true)
expect((MODE == "KernelMode" or MODE == "UserMode") and type(ALERTABLE) == "boolean",
       "run with --param mode=KernelMode|UserMode --param alertable=true|false")
machine { cpus = 1 }

-- inside_u/inside_k: Alerted[U]/Alerted[K] right after the wait, still in kernel mode;
-- user_u/user_k: back in user mode. A field set to nil is not checked in that cell.
local BLOCKS = {                   -- NK, NU
  status = "STATUS_TIMEOUT", status_msg = "the wait returns STATUS_TIMEOUT: ",
  waited = ms(1), waited_msg = "the wait blocked for the whole timeout: ",
  inside_u = true, inside_u_msg = "Alerted[U] = TRUE after the wait",
  inside_k = true, inside_k_msg = "Alerted[K] = TRUE after the wait",
  log = "wait=STATUS_TIMEOUT",
  user_u = true, user_u_msg = "Alerted[U] = TRUE in user mode",
  user_k = false, user_k_msg = "Alerted[K] = FALSE in user mode (D7 clears it)",
}
local WANT = ({
  AK = {
    status = "STATUS_ALERTED", status_msg = "the wait returns STATUS_ALERTED: ",
    waited = 0, waited_msg = "the wait did not block: ",
    inside_u = true, inside_u_msg = "Alerted[U] = TRUE after the wait",
    inside_k = false, inside_k_msg = "Alerted[K] = FALSE after the wait",
    log = "wait=STATUS_ALERTED",
    user_u = true, user_u_msg = "Alerted[U] = TRUE in user mode",
    user_k = nil,
  },
  AU = {
    status = "STATUS_ALERTED", status_msg = "the wait returns STATUS_ALERTED: ",
    waited = 0, waited_msg = "the wait did not block: ",
    inside_u = false, inside_u_msg = "Alerted[U] = FALSE after the wait",
    inside_k = true, inside_k_msg = "Alerted[K] = TRUE after the wait",
    log = "wait=STATUS_ALERTED",
    user_u = false, user_u_msg = "Alerted[U] = FALSE in user mode",
    user_k = nil,
  },
  NK = BLOCKS,
  NU = BLOCKS,
})[(ALERTABLE and "A" or "N") .. (MODE == "KernelMode" and "K" or "U")]

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end

local T1

local E = event { name = "E", signaled = false }

T1 = thread { name = "T1", body = function()
  syscall("NtTest", function()
    expect(KeAlertThread(T1, "UserMode") == false, "set Alerted[U] (NtAlertThread on itself, AL2)")
    expect(KeAlertThread(T1, "KernelMode") == false, "set Alerted[K] (AL2)")
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
  if WANT.user_k ~= nil then
    expect(s.Alerted.KernelMode == WANT.user_k, WANT.user_k_msg)
  end
end }
