-- C22 - Self-queued user APC plus NtTestAlert (SEMANTICS.md 2, C22; rules AL5, I7, D4, D5).
--
-- Case: "T1 queues U1 to itself (no UAP, I7), then calls NtTestAlert. Expected:
-- NtTestAlert sets UAP and returns STATUS_SUCCESS; on the exit NR_U1 runs;
-- execution resumes after the NtTestAlert call with STATUS_SUCCESS."
-- (variant with Alerted[U] = TRUE: C22b)
machine { cpus = 1 }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end

local T1
T1 = thread { name = "T1", body = function()
  local st = NtQueueApcThread(T1, function(ctx)
    expect(current_mode() == "UserMode", "NR_U1 in user mode")
    rec("NR_U1(" .. tostring(ctx) .. ")")
  end, "u1")
  expect(st == "STATUS_SUCCESS", "NtQueueApcThread to itself succeeds")
  local s = state(T1)
  expect(#log == 0, "U1 did not run on the exit of NtQueueApcThread (I7: no UAP)")
  expect(s.UserApcPending == false, "UAP FALSE after the self-insertion (I7)")
  expect(#s.user_queue == 1, "U1 queued")
  compute(us(10))
  expect(#log == 0, "still not run")
  local r = syscall("NtTestAlert", function()
    local old = KeTestAlertThread("UserMode")
    expect(old == false, "KeTestAlertThread returns the old Alerted[U] = FALSE")
    expect(state(T1).UserApcPending == true, "KeTestAlertThread(User) set UAP (AL5)")
    return old and "STATUS_ALERTED" or "STATUS_SUCCESS"
  end)
  rec("after:" .. r)
  expect(joined(log) == "NR_U1(u1) after:STATUS_SUCCESS", "NR_U1 ran on the exit, then the caller resumed: " .. joined(log))
  s = state(T1)
  expect(#s.user_queue == 0 and s.UserApcPending == false, "queue empty, UAP FALSE")
  -- The same through the NtTestAlert service of nt.lua.
  NtQueueApcThread(T1, function() rec("NR_U2") end)
  local r2 = NtTestAlert()
  rec("after2:" .. r2)
  expect(r2 == "STATUS_SUCCESS", "NtTestAlert returns STATUS_SUCCESS: " .. r2)
  expect(log[#log - 1] == "NR_U2", "NR_U2 ran before NtTestAlert returned: " .. joined(log))
end }
