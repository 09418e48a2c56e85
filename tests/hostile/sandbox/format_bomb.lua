-- string.format with an absurd width.
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/format_bomb.lua:5: invalid conversion
machine { cpus = 1 }
local s = string.format("%099999d", 1)
