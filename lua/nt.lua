-- nt.lua - the Nt* system services, built on the Ke* bindings.
--
-- Each service is one full system call: it enters kernel mode, does its work
-- with PreviousMode = UserMode, and returns to user mode through the complete
-- exit path (D5-D7), where pending user APCs are delivered. Loaded before
-- every scenario; the names are globals, as SCENARIO_API.md section 1 says.

--- syscall(name, fn): from user mode, run fn in kernel mode and return to
--- user mode through the full exit path; returns fn's results.
-- The exit half: leave through the exit path, then return fn's results as
-- they are (all of them, nils included; no table to hold them).
local function syscall_exit(...)
  __syscall_exit()
  return ...
end

function syscall(name, fn)
  __syscall_enter(name)
  return syscall_exit(fn())
end

-- An Nt* service: a system call from user mode; from kernel mode (a driver's
-- Zw* call, or an at() DPC) it runs in place with PreviousMode = KernelMode.
-- fn receives the PreviousMode ("UserMode" or "KernelMode").
local function service(name, fn)
  if current_mode() == "UserMode" then
    __syscall_enter(name)
    return syscall_exit(fn("UserMode"))
  end
  return fn("KernelMode")
end

-- A BOOLEAN argument: true, false or nil (= false); "no" is a mistake, not TRUE.
local function flag(v, fn)
  if v ~= nil and type(v) ~= "boolean" then
    __error(fn .. ": alertable must be true, false or nil, got " .. type(v))
  end
  return v == true
end

local function wait_opts(prev, alertable, timeout, fn)
  return { mode = prev, alertable = flag(alertable, fn), timeout = timeout,
           reason = prev == "UserMode" and "UserRequest" or "Executive" }
end

function NtWaitForSingleObject(obj, alertable, timeout)
  return service("NtWaitForSingleObject", function(prev)
    return KeWaitForSingleObject(obj, wait_opts(prev, alertable, timeout, "NtWaitForSingleObject"))
  end)
end

function NtWaitForMultipleObjects(objs, wait_type, alertable, timeout)
  return service("NtWaitForMultipleObjects", function(prev)
    return KeWaitForMultipleObjects(objs, wait_type, wait_opts(prev, alertable, timeout, "NtWaitForMultipleObjects"))
  end)
end

function NtDelayExecution(alertable, interval)
  return service("NtDelayExecution", function(prev)
    return KeDelayExecutionThread(prev, flag(alertable, "NtDelayExecution"), interval)
  end)
end

-- The Nt services signal with the increments NT's do (ntddk.h: EVENT_INCREMENT,
-- SEMAPHORE_INCREMENT and MUTANT_INCREMENT are 1): a waiter they wake gets the
-- K4 boost of 1.
function NtSetEvent(e)
  return service("NtSetEvent", function() KeSetEvent(e, 1) return "STATUS_SUCCESS" end)
end

function NtResetEvent(e)
  return service("NtResetEvent", function() KeResetEvent(e) return "STATUS_SUCCESS" end)
end

-- Failures the kernel raises as exceptions come back as a status here, as
-- the Nt service returns them (STATUS_SEMAPHORE_LIMIT_EXCEEDED, ...).
local function status_of_failure(msg, ...)
  for _, st in ipairs({ ... }) do
    if string.find(tostring(msg), st, 1, true) then return st end
  end
  error(msg, 0)
end

function NtReleaseSemaphore(s, n)
  return service("NtReleaseSemaphore", function()
    local ok, prev = pcall(KeReleaseSemaphore, s, 1, n or 1)
    if ok then return "STATUS_SUCCESS", prev end
    return status_of_failure(prev, "STATUS_SEMAPHORE_LIMIT_EXCEEDED")
  end)
end

function NtReleaseMutant(m)
  return service("NtReleaseMutant", function()
    local ok, prev = pcall(m.kind == "mutex" and KeReleaseMutex or KeReleaseMutant, m, 1)
    if ok then return "STATUS_SUCCESS", prev end
    return status_of_failure(prev, "STATUS_MUTANT_NOT_OWNED")
  end)
end

--- NtQueueApcThread(t, fn, ctx, a1, a2): a user-mode APC whose normal routine
--- is fn(ctx, a1, a2) (PspQueueApcSpecialApc-style kernel routine: no-op).
function NtQueueApcThread(t, fn, ctx, a1, a2)
  return service("NtQueueApcThread", function()
    local apc = KeInitializeApc { thread = t, mode = "UserMode", normal_routine = fn, context = ctx,
                                  name = "UserApc" }
    if KeInsertQueueApc(apc, a1, a2, 0) then
      return "STATUS_SUCCESS"
    end
    return "STATUS_UNSUCCESSFUL"
  end)
end

function NtTestAlert()
  return service("NtTestAlert", function(prev)
    if KeTestAlertThread(prev) then return "STATUS_ALERTED" end
    return "STATUS_SUCCESS"
  end)
end

function NtAlertThread(t)
  return service("NtAlertThread", function(prev)
    KeAlertThread(t, prev)
    return "STATUS_SUCCESS"
  end)
end

-- Fast mutexes: a synchronization event, held at APC_LEVEL (R3, R9).
local fast_mutex_irql = {}
local fast_mutexes = {}       -- the handles fast_mutex() made
function fast_mutex(o)
  local fm = event { name = (o and o.name) or "fast_mutex", type = "synchronization", signaled = true }
  fast_mutexes[fm] = true
  return fm
end

function KeAcquireFastMutex(fm)
  if not fast_mutexes[fm] then
    __error("KeAcquireFastMutex: argument #1: expected a fast mutex (made by fast_mutex{}), got " .. tostring(fm))
  end
  local old = KeRaiseIrql(APC_LEVEL)
  KeWaitForSingleObject(fm, { reason = "WrFastMutex" })
  fast_mutex_irql[fm] = old
end

function KeReleaseFastMutex(fm)
  local old = fast_mutex_irql[fm]
  if old == nil then __error("KeReleaseFastMutex: fast mutex " .. tostring(fm) .. " is not held") end
  fast_mutex_irql[fm] = nil
  KeSetEvent(fm, 0)
  KeLowerIrql(old)
end

INFINITE = nil
STATUS_WAIT_0 = "STATUS_WAIT_0"

QUEUE_USER_APC_FLAGS_NONE = "QUEUE_USER_APC_FLAGS_NONE"
QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC = "QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC"

--- NtQueueApcThreadEx(t, flags, fn, ctx, a1, a2): flags QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC asks
--- for a special user APC (SU1): supported by the win10 profile only, else STATUS_NOT_SUPPORTED.
function NtQueueApcThreadEx(t, flags, fn, ctx, a1, a2)
  local special = flags == QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC or flags == 1
  if not special and flags ~= nil and flags ~= QUEUE_USER_APC_FLAGS_NONE and flags ~= 0 then
    __error("NtQueueApcThreadEx: unknown flags " .. tostring(flags))
  end
  return service("NtQueueApcThreadEx", function()
    if special and current_profile() ~= "win10" then
      return "STATUS_NOT_SUPPORTED"                 -- SU3, Profiles table
    end
    local apc = KeInitializeApc { thread = t, mode = "UserMode", normal_routine = fn, context = ctx,
                                  name = special and "SpecialUserApc" or "UserApc" }
    if special then __special_user_apc(apc) end
    if KeInsertQueueApc(apc, a1, a2, 0) then return "STATUS_SUCCESS" end
    return "STATUS_UNSUCCESSFUL"
  end)
end

--- NtReadFile-style asynchronous request with an APC completion routine
--- (IO2): returns the IRP; a driver (an at() callback) completes it with
--- IoCompleteRequest(irp, boost).
function NtReadFileEx(irp_or_nil, completion)
  return service("NtReadFile", function()
    if irp_or_nil ~= nil then
      __IrpSetCompletion(irp_or_nil, completion)   -- an IRP, and its completion routine
      return irp_or_nil
    end
    return irp { thread = current_thread(), completion = completion }
  end)
end

--- NtSetTimer with an APC routine (SetWaitableTimer): the timer DPC queues
--- the routine to the calling thread as a user APC at each expiry.
function NtSetTimer(t, due, period, routine, arg)
  return service("NtSetTimer", function()
    local apc
    if routine then
      apc = KeInitializeApc { thread = current_thread(), mode = "UserMode", name = "TimerApc",
                              normal_routine = function(ctx) routine(ctx) end, context = arg }
    end
    KeSetTimer(t, due, period or 0, apc)
    return "STATUS_SUCCESS"
  end)
end

function NtCancelTimer(t)
  return service("NtCancelTimer", function() KeCancelTimer(t) return "STATUS_SUCCESS" end)
end

--- NtSignalAndWaitForSingleObject: the signal keeps the dispatcher lock for
--- the wait (Wait = TRUE), so nothing runs in between.
function NtSignalAndWaitForSingleObject(s, w, alertable, timeout)
  return service("NtSignalAndWaitForSingleObject", function(prev)
    local k = s.kind
    if k == "event" then KeSetEvent(s, 1, true)
    elseif k == "semaphore" then KeReleaseSemaphore(s, 1, 1, true)
    elseif k == "mutant" then KeReleaseMutant(s, 1, true)
    elseif k == "mutex" then KeReleaseMutex(s, 1, true)
    else __error("SignalObjectAndWait: cannot signal a " .. tostring(k)) end
    return KeWaitForSingleObject(w, wait_opts(prev, alertable, timeout))
  end)
end

--- NtSuspendThread(t) / NtResumeThread(t): the previous count, then the status.
function NtSuspendThread(t)
  return service("NtSuspendThread", function()
    if state(t).state == "Terminated" then return -1, "STATUS_THREAD_IS_TERMINATING" end
    local ok, prev = pcall(KeSuspendThread, t)
    if ok then return prev, "STATUS_SUCCESS" end
    return state(t).SuspendCount, status_of_failure(prev, "STATUS_SUSPEND_COUNT_EXCEEDED")
  end)
end

function NtResumeThread(t)
  return service("NtResumeThread", function()
    return KeResumeThread(t), "STATUS_SUCCESS"
  end)
end

function NtAlertResumeThread(t)
  return service("NtAlertResumeThread", function()
    return KeAlertResumeThread(t), "STATUS_SUCCESS"
  end)
end

--- NtTerminateThread(t, status): on the caller itself the thread ends at once (T1);
--- on another thread it queues the exit APC (T2) and returns without waiting.
function NtTerminateThread(t, status)
  return service("NtTerminateThread", function()
    return PsTerminateThread(t or current_thread(), status or 0)
  end)
end

--- xpcall(f, handler, ...): the handler runs after the error has unwound,
--- as an ordinary call (in the sandbox, no scenario code runs inside Lua's
--- error handling, where an endless loop could not be stopped).
do
  local pcall, pack, unpack = pcall, table.pack, table.unpack
  function xpcall(f, handler, ...)
    local r = pack(pcall(f, ...))
    if r[1] then return unpack(r, 1, r.n) end
    return false, handler(r[2])
  end
end
