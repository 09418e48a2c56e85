-- W5_waitall_waiter_unwaited_with_kernel_apc_not_satisfied_by_signaller: the
-- signaller does not satisfy a WaitAll waiter (WRK KiWaitTest): it unwaits it
-- with STATUS_KERNEL_APC and goes on down the wait list while the object stays
-- signaled. T1 waits WaitAll on {E1 (synchronization), E2 (signaled)}; T3 then
-- waits WaitAny on E1, behind T1 in E1's wait list. One KeSetEvent(E1): T3 gets
-- E1 (STATUS_WAIT_0); T1 re-evaluates through W1 (W4), finds E1 taken and
-- blocks again; a second KeSetEvent(E1) satisfies it. Rules: W5, W1, W4, K3.
machine { cpus = 1 }
local E1 = event { name = "E1", type = "synchronization" }
local E2 = event { name = "E2", signaled = true }
local r1, r3, t1_at
local T1 = thread { name = "T1", system = true, body = function()
  r1 = KeWaitForMultipleObjects({ E1, E2 }, "WaitAll", { timeout = ms(5) })
  t1_at = now()
end }
local T3 = thread { name = "T3", system = true, start_at = us(5), body = function()
  r3 = KeWaitForSingleObject(E1, { timeout = ms(5) })
end }
at(us(100), function() KeSetEvent(E1, 0) end)
at(us(200), function()
  expect(r3 == "STATUS_WAIT_0", "W5: the WaitAny waiter behind the WaitAll waiter gets E1, got " .. tostring(r3))
  expect(r1 == nil and state(T1).state == "Waiting", "W5: the WaitAll waiter blocked again, state=" .. state(T1).state)
  expect(KeSetEvent(E2, 0) == 1, "E2 (notification) still signaled after the re-evaluation")
end)
at(us(300), function() KeSetEvent(E1, 0) end)
at(ms(1), function()
  expect(r1 == "STATUS_WAIT_0" and t1_at == us(300), "the second set satisfies the WaitAll waiter, got "
         .. tostring(r1) .. " at " .. tostring(t1_at))
  expect(KeResetEvent(E1) == 0, "E1 consumed by the WaitAll satisfaction")
end)
