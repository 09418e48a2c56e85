-- K4_nt_signal_services_boost_by_one: the Win32/Nt signalling services pass
-- NT's increments (ntddk.h: EVENT_INCREMENT, SEMAPHORE_INCREMENT and
-- MUTANT_INCREMENT are 1), and KeReleaseMutex, which has no increment in NT,
-- is KeReleaseMutant(m, MUTANT_INCREMENT): each waiter they wake (base 8)
-- gets the K4 boost to 9. Rules: K4, K3.
machine { cpus = 1 }
local app = process { name = "app.exe" }
local e = event { name = "e" }
local s = semaphore { name = "s", count = 0, limit = 1 }
local m = mutant { name = "m" }
local km = mutex { name = "km" }
local got = {}

local function waiter(name, obj, kernel)
  local opts = { name = name, body = function()
    if kernel then KeWaitForSingleObject(obj, {}) else WaitForSingleObject(obj, INFINITE) end
    got[name] = state(current_thread()).priority
    if obj == m then ReleaseMutex(m) end
    if obj == km then KeReleaseMutex(km) end
  end }
  if kernel then opts.system = true else opts.process = app end
  thread(opts)
end

-- the owners take the mutant and the kernel mutex first, at priority 10
thread { name = "owner", process = app, priority = 10, body = function()
  WaitForSingleObject(m, 0)
  Sleep(1)
  ReleaseMutex(m)
end }
thread { name = "kowner", system = true, priority = 10, body = function()
  KeWaitForSingleObject(km, {})
  KeDelayExecutionThread("KernelMode", false, ms(1))
  KeReleaseMutex(km)
end }
waiter("on_event", e)
waiter("on_semaphore", s)
waiter("on_mutant", m)
waiter("on_kmutex", km, true)
thread { name = "signaller", process = app, priority = 10, start_at = us(500), body = function()
  SetEvent(e)
  ReleaseSemaphore(s, 1)
end }

at(ms(5), function()
  for _, n in ipairs({ "on_event", "on_semaphore", "on_mutant", "on_kmutex" }) do
    expect(got[n] == 9, n .. ": woken at base 8 + 1 = 9, got " .. tostring(got[n]))
  end
end)
-- expect-dump-count: 4 increment=1
