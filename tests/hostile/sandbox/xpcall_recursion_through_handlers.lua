-- Recursion through error handlers: f tail-calls xpcall(f, f), so each caught
-- "C stack overflow" runs f again one level deeper, and the stack fills with
-- library frames (100,000 of them) while Lua unwinds every caught error in C,
-- where the count hook never runs. Caught errors are charged to the budget
-- (the deeper the stack, the more), and the error still names this file's
-- line, found at the bottom of the stack, in well under the timeout.
-- expect-exit: 3
-- timeout: 5
-- expect-stderr: scenario error: sandbox/xpcall_recursion_through_handlers.lua:11: instruction budget exceeded
machine { cpus = 1 }
thread { name = "T", body = function() local function f() return xpcall(f, f) end while true do f() end end }
