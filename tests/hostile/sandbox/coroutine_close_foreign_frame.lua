-- Thread B closes thread A's body coroutine while A waits. The kernel later
-- resumes a dead coroutine.
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/coroutine_close_foreign_frame.lua:
machine { cpus = 1 }
local saved
thread { name = "A", system = true, body = function()
  saved = coroutine.running()
  KeDelayExecutionThread("KernelMode", false, ms(5))
  mark("A after its delay")
end }
thread { name = "B", system = true, start_at = ms(1), body = function()
  coroutine.close(saved)
end }
