-- critical_region_defers_normal_apc.lua - a critical region holds back normal kernel APCs, not special ones.
--
-- Story: a file-system driver thread enters a critical region
-- (KeEnterCriticalRegion, as before acquiring an ERESOURCE) and works for
-- 300 us. Meanwhile two kernel APCs arrive from CPU 0: at 100 us a normal
-- kernel APC N1 and at 150 us a special kernel APC S1. N1 must not run while the
-- driver holds its lock: it waits in the queue. S1 is not held back: it
-- interrupts the driver at once, jumping ahead of N1. When the driver calls
-- KeLeaveCriticalRegion, N1's KernelRoutine (APC_LEVEL) and NormalRoutine
-- (PASSIVE_LEVEL) run inside that call, before it returns.
--
-- Look for: at 100 us APC_INSERT N1 and an APC SWINT on CPU 1 whose KiDeliverApc
-- delivers nothing (N1 blocked, KernelApcPending back to 0); at 150 us APC_INSERT
-- S1 pos=after-specials and ROUTINE_BEGIN S1 KernelRoutine irql=APC_LEVEL while
-- KernelApcDisable is still -1; at 310 us the mark "KeLeaveCriticalRegion", then
-- ROUTINE_BEGIN N1 KernelRoutine (APC_LEVEL) and NormalRoutine (PASSIVE_LEVEL),
-- then the mark "left the critical region".
--
-- Rules: R4 (critical region: KernelApcDisable blocks normal kernel APCs only),
-- R6 (KiCheckForKernelApcDelivery: synchronous delivery inside the Leave call at
-- PASSIVE), D3 (a blocked NK stops the kernel loop; an SK at the head runs), I5
-- (SK inserted before NKs), I8 (remote insertion into a running thread); cases C06, C07.
machine { cpus = 2 }

local order = {}
local function step(s) order[#order + 1] = s; mark(s) end
local function so_far() return table.concat(order, " | ") end
local LEVEL = { [0] = "PASSIVE", [1] = "APC", [2] = "DISPATCH" }
local function irql() return LEVEL[current_irql()] or tostring(current_irql()) end

local fsd                                           -- the driver's worker thread

local function kad() return state(fsd).KernelApcDisable end

fsd = thread { name = "fsd", system = true, affinity = 2, body = function()   -- on CPU 1
  KeEnterCriticalRegion()
  step("KeEnterCriticalRegion")
  expect(kad() == -1 and KeAreApcsDisabled(), "KernelApcDisable = -1 inside the region (R4, R7)")

  compute(us(300))                                  -- the work done under the lock (S1 steals 10 us)
  local s = state(fsd)
  expect(table.concat(s.kernel_queue, " ") == "N1", "N1 still queued at the end of the work: "
         .. table.concat(s.kernel_queue, " "))
  expect(so_far() == "KeEnterCriticalRegion | N1 queued | S1 queued | S1 KernelRoutine@APC",
         "only S1 ran inside the region: " .. so_far())

  step("KeLeaveCriticalRegion")
  KeLeaveCriticalRegion()
  step("left the critical region")
  expect(so_far() == "KeEnterCriticalRegion | N1 queued | S1 queued | S1 KernelRoutine@APC | KeLeaveCriticalRegion | "
         .. "N1 KernelRoutine@APC | N1 NormalRoutine@PASSIVE | left the critical region",
         "N1 ran inside KeLeaveCriticalRegion (R6): " .. so_far())
  expect(now() == us(340), "N1 took 30 us inside the Leave call, which began at 310 us")
  s = state(fsd)
  expect(s.KernelApcDisable == 0 and #s.kernel_queue == 0 and not s.KernelApcPending, "clean state afterwards")
end }

at(us(100), function()                              -- CPU 0 queues a normal kernel APC
  local N1 = KeInitializeApc { thread = fsd, name = "N1",
    kernel_routine = function() step("N1 KernelRoutine@" .. irql()); compute(us(10)) end,
    normal_routine = function()
      expect(state(fsd).KernelApcInProgress and kad() == 0, "NR runs with KAIP set, outside the region")
      step("N1 NormalRoutine@" .. irql())
      compute(us(20))
    end }
  expect(KeInsertQueueApc(N1), "N1 inserted")
  step("N1 queued")
end, { cpu = 0 })

at(us(150), function()                              -- then a special kernel APC
  local S1 = KeInitializeApc { thread = fsd, name = "S1",
    kernel_routine = function()
      expect(current_thread() == fsd, "S1 runs in the driver thread")
      expect(kad() == -1, "S1 runs although KernelApcDisable is -1 (R4)")
      step("S1 KernelRoutine@" .. irql())
      compute(us(10))                               -- (the routines compute a little, to show on a chart)
    end }
  expect(KeInsertQueueApc(S1), "S1 inserted")
  expect(table.concat(state(fsd).kernel_queue, " ") == "S1 N1", "S1 queued ahead of N1 (I5)")
  step("S1 queued")
end, { cpu = 0 })
