-- S2 - the suspend count limit (SEMANTICS.md 1.I S2; rules S2, S3).
--
-- S2: "KeSuspendThread(T) returns the previous Susp. If Susp ==
-- MAXIMUM_SUSPEND_COUNT (127) -> raises STATUS_SUSPEND_COUNT_EXCEEDED." The Nt
-- service returns that status to its caller (SCENARIO_API: NtSuspendThread returns
-- "the previous count, followed by the status"); the count stays 127.
--
-- T2 suspends T1 127 times with NtSuspendThread (previous counts 0..126), then once
-- more: STATUS_SUSPEND_COUNT_EXCEEDED, count unchanged; 127 resumes let T1 finish.
machine { cpus = 1 }

local app = process { name = "app" }
local T1 = thread { name = "T1", process = app, priority = 4, body = function() compute(us(10)) end }

thread { name = "T2", process = app, priority = 10, body = function()
  for i = 0, 126 do
    local n, st = NtSuspendThread(T1)
    expect(n == i and st == "STATUS_SUCCESS", "suspend #" .. (i + 1) .. " returns " .. tostring(n))
  end
  expect(state(T1).SuspendCount == 127, "count 127")
  local ok, n, st = pcall(NtSuspendThread, T1)
  expect(ok, "NtSuspendThread at the limit returns a status instead of failing: " .. tostring(n))
  expect(st == "STATUS_SUSPEND_COUNT_EXCEEDED", "the 128th suspend: " .. tostring(st))
  expect(state(T1).SuspendCount == 127, "count unchanged")
  for i = 127, 1, -1 do
    local m = NtResumeThread(T1)
    expect(m == i, "resume returns " .. tostring(m) .. ", expected " .. i)
  end
  expect(state(T1).SuspendCount == 0, "count 0")
  expect(WaitForSingleObject(T1, INFINITE) == "WAIT_OBJECT_0", "T1 runs and ends")
end }
