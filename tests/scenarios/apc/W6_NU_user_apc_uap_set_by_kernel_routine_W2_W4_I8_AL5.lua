-- W6 matrix, row "Non-alertable, UserMode" x column "user APC queued", the
-- "unless UAP already TRUE" clause (SEMANTICS.md 1.E W6; rules W2, W4, I8, AL5, D4).
--
-- Cell: "not woken (unless UAP already TRUE -> STATUS_USER_APC)".
-- W2: "Not alertable: WaitMode == User and UAP -> STATUS_USER_APC (UAP is left set)."
-- In NT, UAP becomes TRUE under a blocked non-alertable user wait through the
-- exit APC (T3; the termination column is not part of this suite). The same
-- state is reached here without termination: U1 is queued (T1 not woken, UAP
-- FALSE), then a special kernel APC wakes T1 (STATUS_KERNEL_APC) and its kernel
-- routine, running in T1, calls KeTestAlertThread(UserMode), which arms UAP (AL5).
-- When the wait loop restarts (W4), W2's non-alertable clause returns
-- STATUS_USER_APC and U1 runs on the way out.
machine { cpus = 1 }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end

local E = event { name = "E" }
local T1

T1 = thread { name = "T1", body = function()
  local st = NtWaitForSingleObject(E, false)
  rec("wait=" .. st)
  expect(st == "STATUS_USER_APC", "the non-alertable user wait returns STATUS_USER_APC once UAP is TRUE (W2): " .. st)
  expect(now() == us(20), "at 20 us, when S1 ran")
  expect(joined(log) == "KR_S1 NR_U1 wait=STATUS_USER_APC", "S1, then U1 on the exit: " .. joined(log))
end }

thread { name = "T2", start_at = us(10), body = function()
  NtQueueApcThread(T1, function() rec("NR_U1") end)
  local s = state(T1)
  expect(s.state == "Waiting" and s.UserApcPending == false, "U1 alone does not wake T1 (I8)")
end }

at(us(20), function()
  local S1 = KeInitializeApc { thread = T1, name = "S1", kernel_routine = function()
    rec("KR_S1")
    expect(KeTestAlertThread("UserMode") == false, "no user alert pending")
    expect(state(T1).UserApcPending == true, "UAP armed in T1 (AL5)")
  end }
  KeInsertQueueApc(S1)
end)

at(us(50), function() KeSetEvent(E, 0) end)
