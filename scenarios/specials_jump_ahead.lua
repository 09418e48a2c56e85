-- specials_jump_ahead.lua - special kernel APCs overtake normal ones in the kernel queue.
--
-- Story: a driver thread on CPU 1 holds a fast mutex, so it runs at APC_LEVEL
-- and no kernel APC can reach it. Meanwhile a thread on CPU 0 queues it five
-- kernel APCs, 10 us apart, in this order: normal N1, normal N2, special S1,
-- special S2, normal N3. Specials are inserted after the last special, before
-- the first normal, so the queue reads [S1 S2 N1 N2 N3]. When the driver releases
-- the mutex and IRQL drops from APC_LEVEL to PASSIVE_LEVEL, the latched APC
-- interrupt fires and one KiDeliverApc runs them all in queue order: both
-- specials first, then each normal's KernelRoutine (APC_LEVEL) followed by its
-- NormalRoutine (PASSIVE_LEVEL).
--
-- Look for: five APC_INSERT rows between 100 and 140 us, the specials with
-- pos=after-specials; the first latches an APC SWINT_REQUEST on CPU 1 that does
-- not fire (CPU 1 is at APC_LEVEL; later requests find the latch already set);
-- at 300 us the mark "release fast mutex", the IRQL
-- row APC_LEVEL -> PASSIVE_LEVEL, then ROUTINE_BEGIN in the order S1, S2, N1
-- (KR, NR), N2 (KR, NR), N3 (KR, NR), KRs at APC_LEVEL and NRs at PASSIVE_LEVEL.
--
-- Rules: I5 (SK after the last SK, NK at the tail: [SK..SK][NK..NK]), D3 (the
-- kernel loop always takes the head; NK: KR then NR with KAIP set), R1/R3 (the
-- APC interrupt is latched while IRQL >= APC_LEVEL and fires when it drops),
-- D9 (the IRQL of each routine); case C02.
machine { cpus = 2 }

local order = {}
local function step(s) order[#order + 1] = s; mark(s) end
local function so_far() return table.concat(order, " ") end
local LEVEL = { [0] = "PASSIVE", [1] = "APC", [2] = "DISPATCH" }
local function irql() return LEVEL[current_irql()] or tostring(current_irql()) end

local lock = fast_mutex { name = "fcb_lock" }
local driver

local function kernel_apc(name, special)
  local o = { thread = driver, name = name,
    kernel_routine = function() step(name .. ".KR@" .. irql()); compute(us(5)) end }
  if not special then
    o.normal_routine = function()
      expect(state(driver).KernelApcInProgress, name .. ".NR runs with KernelApcInProgress set (D3)")
      step(name .. ".NR@" .. irql())
      compute(us(10))
    end
  end
  return KeInitializeApc(o)
end

driver = thread { name = "driver", system = true, affinity = 2, body = function()   -- on CPU 1
  KeAcquireFastMutex(lock)
  step("acquire fast mutex")
  expect(current_irql() == APC_LEVEL, "a fast mutex holder runs at APC_LEVEL")
  compute(us(300))                                  -- the APCs arrive at 100-140 us
  local s = state(driver)
  expect(table.concat(s.kernel_queue, " ") == "S1 S2 N1 N2 N3",
         "specials ahead of normals, each group FIFO (I5): " .. table.concat(s.kernel_queue, " "))
  expect(s.KernelApcPending, "KernelApcPending set, nothing delivered at APC_LEVEL (R3)")

  step("release fast mutex")
  KeReleaseFastMutex(lock)                          -- APC_LEVEL -> PASSIVE_LEVEL: the APC interrupt fires
  step("released")
  expect(so_far() == "acquire fast mutex release fast mutex S1.KR@APC S2.KR@APC N1.KR@APC N1.NR@PASSIVE "
         .. "N2.KR@APC N2.NR@PASSIVE N3.KR@APC N3.NR@PASSIVE released",
         "one delivery, specials first, then the normals in order (D3): " .. so_far())
  s = state(driver)
  expect(#s.kernel_queue == 0 and not s.KernelApcPending and not s.KernelApcInProgress, "all delivered")
end }

thread { name = "sender", system = true, affinity = 1, start_at = us(100), body = function()   -- on CPU 0
  for _, a in ipairs { { "N1", false }, { "N2", false }, { "S1", true }, { "S2", true }, { "N3", false } } do
    expect(KeInsertQueueApc(kernel_apc(a[1], a[2])), "insert " .. a[1])
    compute(us(10))
  end
  expect(#order == 1, "nothing ran in the driver yet: " .. so_far())
end }
