-- win32.lua - the kernel32 layer: Win32 names, milliseconds and return
-- values over the Nt* services of nt.lua.
--
-- Times are milliseconds (INFINITE = infinite); results are Win32 values:
-- "WAIT_OBJECT_0" (+n), "WAIT_ABANDONED" (+n), "WAIT_TIMEOUT",
-- "WAIT_IO_COMPLETION" for STATUS_USER_APC. SleepEx returns 0 or
-- "WAIT_IO_COMPLETION". [UNCERTAIN] (SEMANTICS 1.N #11): on STATUS_ALERTED
-- kernel32 is believed to retry the wait; apcsim does so.

INFINITE = -1

local function ms_to_ns(ms)
  if ms == nil or ms == INFINITE then return nil end
  if type(ms) ~= "number" or ms < 0 then __error("milliseconds must be a number >= 0 or INFINITE") end
  return math.tointeger(ms * 1000000) or math.floor(ms * 1000000 + 0.5)
end

local function win32_wait_result(status)
  if status == "STATUS_USER_APC" then return "WAIT_IO_COMPLETION" end
  if status == "STATUS_TIMEOUT" then return "WAIT_TIMEOUT" end
  if status == "STATUS_WAIT_0" or status == "STATUS_SUCCESS" then return "WAIT_OBJECT_0" end
  local n = status:match("^STATUS_WAIT_(%d+)$")
  if n then return "WAIT_OBJECT_0+" .. n end
  if status == "STATUS_ABANDONED_WAIT_0" then return "WAIT_ABANDONED" end
  n = status:match("^STATUS_ABANDONED_WAIT_(%d+)$")
  if n then return "WAIT_ABANDONED+" .. n end
  return status
end

function SleepEx(ms, alertable)
  local st
  repeat
    st = NtDelayExecution(alertable, ms_to_ns(ms))
  until st ~= "STATUS_ALERTED"
  if st == "STATUS_USER_APC" then return "WAIT_IO_COMPLETION" end
  return 0
end

function Sleep(ms) SleepEx(ms, false) end

function WaitForSingleObjectEx(h, ms, alertable)
  local st
  repeat
    st = NtWaitForSingleObject(h, alertable, ms_to_ns(ms))
  until st ~= "STATUS_ALERTED"
  return win32_wait_result(st)
end

function WaitForSingleObject(h, ms) return WaitForSingleObjectEx(h, ms, false) end

function WaitForMultipleObjectsEx(hs, all, ms, alertable)
  local st
  repeat
    st = NtWaitForMultipleObjects(hs, all and "WaitAll" or "WaitAny", alertable, ms_to_ns(ms))
  until st ~= "STATUS_ALERTED"
  return win32_wait_result(st)
end

function WaitForMultipleObjects(hs, all, ms) return WaitForMultipleObjectsEx(hs, all, ms, false) end

function SetEvent(e) NtSetEvent(e) return true end
function ResetEvent(e) NtResetEvent(e) return true end
function ReleaseSemaphore(s, n) return NtReleaseSemaphore(s, n) == "STATUS_SUCCESS" end
function ReleaseMutex(m) return NtReleaseMutant(m) == "STATUS_SUCCESS" end

-- The APC routine is called only when the APC is delivered: check it now,
-- so that a mistake points at the call, not at the delivery.
local function apc_routine(api, fn)
  if type(fn) ~= "function" then __error(api .. ": argument #1 must be a function, got " .. type(fn)) end
  return function(ctx) fn(ctx) end
end

function QueueUserAPC(fn, t, data)
  return NtQueueApcThread(t, apc_routine("QueueUserAPC", fn), data) == "STATUS_SUCCESS"
end

function QueueUserAPC2(fn, t, data, flags)
  return NtQueueApcThreadEx(t, flags, apc_routine("QueueUserAPC2", fn), data) == "STATUS_SUCCESS"
end

--- ReadFileEx(irp_or_nil, completion): start an asynchronous read whose
--- completion routine runs as a user APC (IO2, IO3). Returns TRUE and the IRP.
function ReadFileEx(irp_or_nil, completion)
  local irp = NtReadFileEx(irp_or_nil, completion)
  return true, irp
end

--- SetWaitableTimer(t, due_ms, period_ms, completion, arg): the completion
--- routine runs as a user APC of the calling thread at each expiry.
function SetWaitableTimer(t, due, period, completion, arg)
  NtSetTimer(t, ms_to_ns(due) or 0, ms_to_ns(period or 0) or 0, completion, arg)
  return true
end

function CancelWaitableTimer(t) NtCancelTimer(t) return true end

function SignalObjectAndWait(s, w, ms, alertable)
  local st = NtSignalAndWaitForSingleObject(s, w, alertable, ms_to_ns(ms))
  while st == "STATUS_ALERTED" do
    st = NtWaitForSingleObject(w, alertable, ms_to_ns(ms))
  end
  return win32_wait_result(st)
end

function SuspendThread(t)
  local n = NtSuspendThread(t)
  return n
end

function ResumeThread(t)
  local n = NtResumeThread(t)
  return n
end

function TerminateThread(t, code)
  -- kernel32 refuses a NULL handle (NtTerminateThread(NULL) would end the caller)
  if t == nil then __error("TerminateThread: argument #1: expected a thread, got nil") end
  return NtTerminateThread(t, code or 0) == "STATUS_SUCCESS"
end

function ExitThread(code) NtTerminateThread(current_thread(), code or 0) end
