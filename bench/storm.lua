-- storm.lua - the APC storm: the benchmark workload of `make bench`.
--
-- C CPUs and T user threads of app.exe; each thread loops
--     { compute 10 us; alertable SleepEx(1 ms) }
-- A fraction of the threads (crit_frac) does its 10 us inside a system call
-- in a critical region (KeEnterCriticalRegion ... KeLeaveCriticalRegion), so
-- normal kernel APCs that reach them wait for the Leave (R4, R6); another
-- fraction (attach_frac) does it inside a system call attached to data.exe
-- (KeAttachProcess ... KeDetachProcess), so APCs for its home environment are
-- parked until the detach (E4, E5). The rest compute in user mode.
--
-- Per CPU, a DPC every dpc_period inserts `burst` APCs, cycling through the
-- kinds user / normal kernel / special kernel, each into a thread drawn from
-- the run's seeded random source, until `apcs` (N) APCs were inserted. Every
-- routine is a small Lua function that counts a delivery. Every inserted APC
-- is delivered (a user APC at the target's next alertable SleepEx, a normal
-- kernel APC at the end of a critical region, a parked one at the detach);
-- once N APCs have been delivered every thread leaves its loop at its next
-- check, so the run ends normally ("all threads terminated") with a complete
-- trace and exactly N APCs created, inserted and delivered.
--
-- Parameters (--param NAME=VALUE; times take units: 5us, 1ms):
--   cpus         C CPUs                                   (default 2)
--   threads      T user threads                           (default 1000)
--   apcs         N APCs to deliver                        (default 100000)
--   dpc_period   period of each CPU's DPC                 (default 5us)
--   burst        APCs inserted per DPC                    (default 3)
--   seed         random seed                              (default 1)
--   crit_frac    fraction of threads in critical regions  (default 0.1)
--   attach_frac  fraction of threads attached             (default 0.1)
--   compute      the compute step                         (default 10us)
--   sleep_ms     the alertable SleepEx, in ms             (default 1)
--
-- The last mark, "storm: delivered=D inserted=I", gives the totals.

local C       = math.tointeger(param("cpus", 2))
local T       = math.tointeger(param("threads", 1000))
local N       = math.tointeger(param("apcs", 100000))
local PERIOD  = math.tointeger(param("dpc_period", us(5)))
local BURST   = math.tointeger(param("burst", 3))
local SEED    = math.tointeger(param("seed", 1))
local CRIT    = param("crit_frac", 0.1)
local ATTACH  = param("attach_frac", 0.1)
local COMPUTE = math.tointeger(param("compute", us(10)))
local SLEEP   = param("sleep_ms", 1)

machine { cpus = C, seed = SEED }

local app  = process { name = "app.exe" }
local data = process { name = "data.exe" }

local delivered, inserted = 0, 0
local done = false
local live = 0

-- The last thread to leave its loop writes the totals.
local function leave()
  live = live - 1
  if live == 0 then
    mark("storm: delivered=" .. delivered .. " inserted=" .. inserted)
    expect(delivered == N and inserted == N, "the storm inserted and delivered exactly " .. N .. " APCs")
  end
end

-- The routines: one closure each, shared by every APC.
local function count()
  delivered = delivered + 1
  if delivered >= N then done = true end
end
local function user_nr(ctx, a1, a2) count() end                -- user APC, NormalRoutine (user mode)
local function kernel_nr(ctx, a1, a2) count() end              -- normal kernel APC, NormalRoutine (PASSIVE)
local function special_kr(apc, ctl) count() end                -- special kernel APC, KernelRoutine (APC_LEVEL)
local function noop_kr(apc, ctl) end

-- Thread bodies: three shapes.
local function plain_body()
  while not done do
    compute(COMPUTE)
    SleepEx(SLEEP, true)
  end
  leave()
end

local function crit_work()
  KeEnterCriticalRegion()
  compute(COMPUTE)
  KeLeaveCriticalRegion()
end
local function crit_body()
  while not done do
    syscall("NtStormCritical", crit_work)
    SleepEx(SLEEP, true)
  end
  leave()
end

local function attach_work()
  KeAttachProcess(data)
  compute(COMPUTE)
  KeDetachProcess()
end
local function attach_body()
  while not done do
    syscall("NtStormAttached", attach_work)
    SleepEx(SLEEP, true)
  end
  leave()
end

-- Each thread's shape is drawn from the seeded random source.
local threads = {}
for i = 1, T do
  local r = math.random()
  local body = plain_body
  if r < CRIT then body = crit_body
  elseif r < CRIT + ATTACH then body = attach_body end
  live = live + 1
  threads[i] = thread { name = "w" .. i, process = app, body = body }
end

-- The insertions. KeInitializeApc options, one table per kind, reused.
local opt = {
  { mode = "UserMode", kernel_routine = noop_kr, normal_routine = user_nr, name = "U" },   -- user
  { kernel_routine = noop_kr, normal_routine = kernel_nr, name = "N" },                    -- normal kernel
  { kernel_routine = special_kr, name = "S" },                                             -- special kernel
}
local kind = 0

-- One DPC chain per CPU: each DPC inserts its burst and, while fewer than N
-- APCs were inserted, schedules the next one dpc_period later on the same
-- CPU. (A chain of at() rather than every(): the DPCs stop with the
-- insertions instead of firing on, empty, until the last thread has gone.)
local function storm_dpc(cpu)
  local function dpc()
    if inserted >= N then return end
    for _ = 1, BURST do
      kind = kind % 3 + 1
      local o = opt[kind]
      o.thread = threads[math.random(T)]
      if KeInsertQueueApc(KeInitializeApc(o)) then
        inserted = inserted + 1
        if inserted >= N then return end
      end
    end
    at(now() + PERIOD, dpc, { cpu = cpu })
  end
  return dpc
end

if N > 0 then
  for c = 0, C - 1 do
    at(PERIOD, storm_dpc(c), { cpu = c })
  end
end
