-- Win32_release_mutex_not_owned_returns_false: in Win32, ReleaseMutex on a
-- mutex the caller does not own fails and returns FALSE (NtReleaseMutant
-- returns STATUS_MUTANT_NOT_OWNED; ERROR_NOT_OWNER); the program goes on.
-- API: "Win32 signatures follow the real ones ...; BOOL results are Lua
-- booleans".
local m = mutant { name = "m" }
local done = false

thread { name = "u", body = function()
    local ok = ReleaseMutex(m)
    expect(ok == false, "not owned: FALSE, got " .. tostring(ok))
    expect(WaitForSingleObject(m, 0) == "WAIT_OBJECT_0", "the mutex is still free")
    expect(ReleaseMutex(m) == true, "owned: TRUE")
    done = true
end }

at(ms(1), function() expect(done, "finished") end)
