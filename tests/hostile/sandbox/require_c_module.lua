-- require of a C module (a Lua C library that may be installed system-wide).
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/require_c_module.lua:5: require: no module 'lpeg' in apcsim's lua/ directory
machine { cpus = 1 }
local lpeg = require "lpeg"
