-- ERR_ke_wait_from_user_mode: KeWaitForSingleObject from user mode is a
-- scenario error at file:line too (the same call inside syscall() is fine).
-- API: scenario errors ("a Ke call from user mode").
-- expect-exit: 3
-- expect-stderr: ERR_ke_wait_from_user_mode.lua:10:
local e = event { name = "e", signaled = true }

thread { name = "u", body = function()
    syscall("NtOk", function() KeWaitForSingleObject(e, {}) end)
    KeWaitForSingleObject(e, {})
end }
