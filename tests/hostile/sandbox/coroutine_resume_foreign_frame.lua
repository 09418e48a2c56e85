-- Thread A's body coroutine (coroutine.running()) is resumed by thread B
-- while A is blocked in a kernel wait. Must be refused at B's line, not
-- end with a message that names no line.
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/coroutine_resume_foreign_frame.lua:14:
machine { cpus = 1 }
local saved
thread { name = "A", system = true, body = function()
  saved = coroutine.running()
  KeDelayExecutionThread("KernelMode", false, ms(5))
  mark("A after its delay")
end }
thread { name = "B", system = true, start_at = ms(1), body = function()
  local ok, err = coroutine.resume(saved)
  expect(not ok, "resuming another thread's frame succeeded")
end }
