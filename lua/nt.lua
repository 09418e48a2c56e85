-- nt.lua - the Nt* system services, built on the Ke* bindings.
--
-- Each service is one full system call: it enters kernel mode, does its work
-- with PreviousMode = UserMode, and returns to user mode through the complete
-- exit path (D5-D7), where pending user APCs are delivered. Loaded before
-- every scenario; the names are globals, as SCENARIO_API.md section 1 says.

--- syscall(name, fn): from user mode, run fn in kernel mode and return to
--- user mode through the full exit path; returns fn's results.
function syscall(name, fn)
  __syscall_enter(name)
  local r = table.pack(fn())
  __syscall_exit()
  return table.unpack(r, 1, r.n)
end

-- An Nt* service: a system call from user mode; from kernel mode (a driver's
-- Zw* call, or an at() DPC) it runs in place with PreviousMode = KernelMode.
-- fn receives the PreviousMode ("UserMode" or "KernelMode").
local function service(name, fn)
  if current_mode() == "UserMode" then
    return syscall(name, function() return fn("UserMode") end)
  end
  return fn("KernelMode")
end

local function wait_opts(prev, alertable, timeout)
  return { mode = prev, alertable = alertable and true or false, timeout = timeout,
           reason = prev == "UserMode" and "UserRequest" or "Executive" }
end

function NtWaitForSingleObject(obj, alertable, timeout)
  return service("NtWaitForSingleObject", function(prev)
    return KeWaitForSingleObject(obj, wait_opts(prev, alertable, timeout))
  end)
end

function NtWaitForMultipleObjects(objs, wait_type, alertable, timeout)
  return service("NtWaitForMultipleObjects", function(prev)
    return KeWaitForMultipleObjects(objs, wait_type, wait_opts(prev, alertable, timeout))
  end)
end

function NtDelayExecution(alertable, interval)
  return service("NtDelayExecution", function(prev)
    return KeDelayExecutionThread(prev, alertable and true or false, interval)
  end)
end

function NtSetEvent(e)
  return service("NtSetEvent", function() KeSetEvent(e, 0) return "STATUS_SUCCESS" end)
end

function NtResetEvent(e)
  return service("NtResetEvent", function() KeResetEvent(e) return "STATUS_SUCCESS" end)
end

function NtReleaseSemaphore(s, n)
  return service("NtReleaseSemaphore", function() return "STATUS_SUCCESS", KeReleaseSemaphore(s, 0, n or 1) end)
end

function NtReleaseMutant(m)
  return service("NtReleaseMutant", function() return "STATUS_SUCCESS", KeReleaseMutant(m, 0) end)
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
function fast_mutex(o)
  return event { name = (o and o.name) or "fast_mutex", type = "synchronization", signaled = true }
end

function KeAcquireFastMutex(fm)
  local old = KeRaiseIrql(APC_LEVEL)
  KeWaitForSingleObject(fm, { reason = "WrFastMutex" })
  fast_mutex_irql[fm] = old
end

function KeReleaseFastMutex(fm)
  local old = fast_mutex_irql[fm]
  if old == nil then error("KeReleaseFastMutex: fast mutex " .. tostring(fm) .. " is not held", 2) end
  fast_mutex_irql[fm] = nil
  KeSetEvent(fm, 0)
  KeLowerIrql(old)
end

INFINITE = nil
STATUS_WAIT_0 = "STATUS_WAIT_0"
