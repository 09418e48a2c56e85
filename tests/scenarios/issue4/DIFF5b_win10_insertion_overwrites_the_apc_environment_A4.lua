-- DIFF row 5, win10 - the insertion overwrites the APC's environment index
-- (SEMANTICS.md 1.A A4 [DIFF], Profiles row 5; rules A4, I4, E3, E4).
--
-- A4: "modern Windows (decompiled Win10/11 KiInsertQueueApc) uses SAS only when
-- the APC says Original and the thread is attached; every other combination goes
-- to the live AS and the APC's index is overwritten."
--
-- T (not attached) inserts SK A built with AttachedApcEnvironment: it goes to the
-- live AS, its index becomes 0 (Original), and it runs at once. T then attaches
-- to P2 and inserts A again: A now says Original while T is attached, so it is
-- parked in SAS and runs only after the detach, in T's own process. (Under nt52 A
-- would have been parked in the dormant SAS at the first insertion: DIFF5.)
-- args: --profile win10
machine { cpus = 1 }
local P2 = process { name = "P2" }
local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local T
T = thread { name = "T", system = true, body = function()
  expect(current_profile() == "win10", "a win10 row: run with --profile win10")
  local A = KeInitializeApc { thread = T, name = "A", environment = "AttachedApcEnvironment",
    kernel_routine = function() rec("A in " .. state(T).process) end }
  expect(KeInsertQueueApc(A), "first insertion (not attached): the live AS")
  local st = KeStackAttachProcess(P2)
  expect(KeInsertQueueApc(A), "second insertion (attached)")
  rec("attached, SAS=" .. table.concat(state(T).saved_kernel_queue, ","))
  KeUnstackDetachProcess(st)
  rec("detached")
  expect(table.concat(log, " | ") == "A in System | attached, SAS=A | A in System | detached",
         "A4 win10: the second insertion is parked as Original: " .. table.concat(log, " | "))
end }
