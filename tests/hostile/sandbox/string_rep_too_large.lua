-- string.rep past the maximum string size.
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/string_rep_too_large.lua:5: resulting string too large
machine { cpus = 1 }
local s = string.rep("x", 1 << 40)
