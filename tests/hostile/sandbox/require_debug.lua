-- require "debug" (the debug library would break every guarantee).
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/require_debug.lua:5: require: no module 'debug' in apcsim's lua/ directory
machine { cpus = 1 }
local d = require "debug"
