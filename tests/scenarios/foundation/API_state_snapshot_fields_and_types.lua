-- API_state_snapshot_fields_and_types: state(t) returns the documented fields
-- with the documented types: IRQL, counters (KernelApcDisable,
-- SpecialApcDisable, SuspendCount, ApcStateIndex), priorities and exit_status
-- are Lua integers; flags are booleans; Alerted has KernelMode/UserMode
-- booleans; queues are lists; names are strings. Checked for a fresh user
-- thread in user mode and a Waiting one. API: state(), "Conventions/Types".
local e = event { name = "e" }
local done = false

local function check(s, who)
    for _, k in ipairs { "irql", "KernelApcDisable", "SpecialApcDisable", "SuspendCount", "ApcStateIndex",
                         "priority", "base_priority" } do
        expect(math.type(s[k]) == "integer", who .. ": " .. k .. " is an integer, got " .. tostring(s[k]))
    end
    for _, k in ipairs { "KernelApcPending", "UserApcPending", "KernelApcInProgress", "ApcQueueable" } do
        expect(type(s[k]) == "boolean", who .. ": " .. k .. " is a boolean, got " .. tostring(s[k]))
    end
    expect(type(s.Alerted) == "table" and type(s.Alerted.KernelMode) == "boolean"
           and type(s.Alerted.UserMode) == "boolean", who .. ": Alerted = {KernelMode=, UserMode=}")
    for _, k in ipairs { "kernel_queue", "user_queue", "saved_kernel_queue", "saved_user_queue" } do
        expect(type(s[k]) == "table" and #s[k] == 0, who .. ": " .. k .. " is an empty list")
    end
    expect(s.process == "app.exe" and s.home_process == "app.exe", who .. ": process names")
end

local t = thread { name = "t", process = process { name = "app.exe" }, priority = 9, body = function()
    local s = state(current_thread())
    check(s, "running")
    expect(s.state == "Running" and s.mode == "UserMode" and s.irql == 0, "running in user mode at PASSIVE")
    expect(s.priority == 9 and s.base_priority == 9, "priority 9")
    expect(s.KernelApcDisable == 0 and s.SpecialApcDisable == 0 and s.SuspendCount == 0 and s.ApcStateIndex == 0, "zero counters")
    expect(s.ApcQueueable == true and s.UserApcPending == false, "flags")
    WaitForSingleObject(e, INFINITE)
    done = true
    return 3
end }

at(ms(1), function()
    local s = state(t)
    check(s, "waiting")
    expect(s.state == "Waiting", "Waiting, got " .. tostring(s.state))
    expect(s.wait_reason == "UserRequest", "wait reason UserRequest, got " .. tostring(s.wait_reason))
    KeSetEvent(e, 0)
end)
at(ms(2), function()
    local s = state(t)
    expect(done and s.state == "Terminated", "Terminated")
    expect(s.exit_status == 3 and math.type(s.exit_status) == "integer", "exit_status integer 3, got " .. tostring(s.exit_status))
end)
