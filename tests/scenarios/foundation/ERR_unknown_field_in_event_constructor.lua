-- ERR_unknown_field_in_event_constructor: a misspelt field in event{} (tpye)
-- is a scenario error at file:line. API: scenario errors.
-- expect-exit: 3
-- expect-stderr: ERR_unknown_field_in_event_constructor.lua:6:
-- expect-stderr: tpye
local e = event { name = "e", tpye = "synchronization" }
