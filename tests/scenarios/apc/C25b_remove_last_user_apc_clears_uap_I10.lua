-- C25 variant - Removing the last user APC clears UAP (SEMANTICS.md 2, C25; rules I10, AL5).
--
-- I10: "KeRemoveQueueApc returns the previous Inserted; if it was inserted,
-- clears Inserted, unlinks it, and if that list became empty clears KAP (kernel)
-- or UAP (user) of the state block it was in. No routine is called."
-- C25 covers the kernel half; this is the user half: T1 (system thread) has U1,
-- U2 queued and UAP armed by KeTestAlertThread(UserMode); removing U1 keeps UAP,
-- removing U2 empties the list and clears UAP (keeping D10 true).
machine { cpus = 1 }

local log = {}
local function joined(t) return table.concat(t, " ") end

local T1
T1 = thread { name = "T1", system = true, body = function()
  local function apc(name)
    return KeInitializeApc { thread = T1, name = name, mode = "UserMode",
      kernel_routine = function() log[#log + 1] = "KR_" .. name end,
      normal_routine = function() log[#log + 1] = "NR_" .. name end,
      rundown_routine = function() log[#log + 1] = "RR_" .. name end }
  end
  local U1, U2 = apc("U1"), apc("U2")
  expect(KeInsertQueueApc(U1) and KeInsertQueueApc(U2), "inserted")
  expect(state(T1).UserApcPending == false, "self-insertion: no UAP (I7)")
  KeTestAlertThread("UserMode")
  expect(state(T1).UserApcPending == true, "UAP armed (AL5)")
  expect(KeRemoveQueueApc(U1) == true, "remove U1 -> TRUE")
  expect(joined(state(T1).user_queue) == "U2", "[U2] left")
  expect(state(T1).UserApcPending == true, "UAP kept: U2 remains")
  expect(KeRemoveQueueApc(U2) == true, "remove U2 -> TRUE")
  expect(#state(T1).user_queue == 0, "user list empty")
  expect(state(T1).UserApcPending == false, "list became empty -> UAP = FALSE (I10)")
  expect(#log == 0, "no routine called: " .. joined(log))
end }
