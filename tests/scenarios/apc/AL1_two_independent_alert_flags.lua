-- AL1: Alerted[KernelMode] and Alerted[UserMode] are independent; AL2 sets
-- the one of the alert's mode when the target is not in a matching alertable
-- wait; AL5 consumes only the mode it tests.
machine { cpus = 1 }
local T
T = thread { name = "T", system = true, body = function()
  expect(KeAlertThread(T, "KernelMode") == false, "AL2: old Alerted[K] FALSE")
  local s = state()
  expect(s.Alerted.KernelMode == true and s.Alerted.UserMode == false, "AL1: only Alerted[K]")
  expect(KeAlertThread(T, "UserMode") == false, "AL2: old Alerted[U] FALSE")
  expect(state().Alerted.UserMode == true, "Alerted[U] set")
  expect(KeTestAlertThread("UserMode") == true, "AL5: returns old Alerted[U]")
  s = state()
  expect(s.Alerted.UserMode == false and s.Alerted.KernelMode == true, "AL5 consumed only Alerted[U]")
  expect(KeTestAlertThread("KernelMode") == true and state().Alerted.KernelMode == false, "then Alerted[K]")
end }
