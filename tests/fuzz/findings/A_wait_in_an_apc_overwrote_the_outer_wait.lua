-- Fuzz finding A (apcsim bug, FIXED in 8eef9f2 "each wait frame owns its wait
-- record"; seeds 4, 8, 52, 82, 85, 89, 99, 184 ... exit 1 before the fix).
--
-- A wait made by an APC routine that runs inside another wait (W1.1, K2/W4:
-- kernel APCs delivered while the thread waits, the suspend APC's own wait
-- included) overwrote the single per-thread wait record; when the outer wait
-- restarted it used the inner wait's mode, alertability, objects and timeout:
-- a KernelMode wait returned STATUS_USER_APC, a delay STATUS_TIMEOUT or
-- STATUS_WAIT_n, an alertable delay ignored an alert. Kept as a regression test:
-- both threads must see the result of their own wait.
machine { cpus = 2 }
local e = event { name = "e" }
local A, B
A = thread { name = "A", system = true, affinity = 1, body = function()
  local st = KeWaitForSingleObject(e, { mode = "KernelMode", alertable = true, timeout = us(100) })
  expect(st == "STATUS_TIMEOUT" and now() == us(100), "A KernelMode wait returned " .. st .. " at " .. now())
end }
B = thread { name = "B", system = true, affinity = 2, body = function()
  local st = KeDelayExecutionThread("KernelMode", false, us(100))
  expect(st == "STATUS_SUCCESS" and now() == us(100), "a delay returned " .. st .. " at " .. now() .. " (W8)")
end }
at(us(10), function()
  -- A: a user APC is queued (a KernelMode wait does not see it), then a normal
  -- kernel APC whose routine makes a UserMode alertable wait (W2b: STATUS_USER_APC)
  KeInsertQueueApc(KeInitializeApc { thread = A, name = "U", mode = "UserMode", normal_routine = function() end })
  KeInsertQueueApc(KeInitializeApc { thread = A, name = "N", normal_routine = function()
    KeWaitForSingleObject(e, { mode = "UserMode", alertable = true, timeout = us(5) })
  end })
  -- B: a special kernel APC whose routine makes an object wait that times out
  KeInsertQueueApc(KeInitializeApc { thread = B, name = "S", kernel_routine = function()
    KeWaitForSingleObject(e, { timeout = 0 })
  end })
end)
