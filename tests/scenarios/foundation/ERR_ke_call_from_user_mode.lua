-- ERR_ke_call_from_user_mode: Ke* routines are kernel code; calling one from a
-- user-mode thread body (outside syscall) is a scenario error at file:line.
-- API: scenario errors ("a Ke call from user mode").
-- expect-exit: 3
-- expect-stderr: ERR_ke_call_from_user_mode.lua:10:
local e = event { name = "e" }

thread { name = "u", body = function()
    expect(current_mode() == "UserMode", "a user thread starts in user mode")
    KeSetEvent(e, 0)
end }
