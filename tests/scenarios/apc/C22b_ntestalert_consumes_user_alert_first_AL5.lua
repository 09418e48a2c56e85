-- C22 variant - NtTestAlert with Alerted[U] = TRUE (SEMANTICS.md 2, C22; rules AL5, AL2, I7).
--
-- Case: "Variant with Alerted[U] = TRUE: NtTestAlert returns STATUS_ALERTED,
-- clears the alert, UAP stays FALSE, U1 stays queued."
-- T1 alerts itself (NtAlertThread on itself: not waiting -> Alerted[U] = TRUE,
-- AL2), queues U1 to itself, calls NtTestAlert. Afterwards a second NtTestAlert
-- (no alert left) arms UAP and U1 runs.
machine { cpus = 1 }

local log = {}
local function rec(s) log[#log + 1] = s; mark(s) end
local function joined(t) return table.concat(t, " ") end

local T1
T1 = thread { name = "T1", body = function()
  expect(NtAlertThread(T1) == "STATUS_SUCCESS", "NtAlertThread(self)")
  expect(state(T1).Alerted.UserMode == true, "Alerted[U] = TRUE (AL2)")
  NtQueueApcThread(T1, function() rec("NR_U1") end)
  local r = NtTestAlert()
  rec("after:" .. r)
  expect(r == "STATUS_ALERTED", "NtTestAlert returns STATUS_ALERTED: " .. r)
  local s = state(T1)
  expect(s.Alerted.UserMode == false, "the alert was cleared (AL5)")
  expect(s.UserApcPending == false, "UAP stays FALSE (AL5: consumes the alert instead)")
  expect(#s.user_queue == 1, "U1 stays queued")
  expect(joined(log) == "after:STATUS_ALERTED", "NR_U1 did not run: " .. joined(log))
  local r2 = NtTestAlert()
  rec("after2:" .. r2)
  expect(r2 == "STATUS_SUCCESS", "second NtTestAlert returns STATUS_SUCCESS: " .. r2)
  expect(joined(log) == "after:STATUS_ALERTED NR_U1 after2:STATUS_SUCCESS", "then U1 runs: " .. joined(log))
end }
