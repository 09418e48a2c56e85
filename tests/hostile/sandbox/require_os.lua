-- require of a standard library the sandbox left out.
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/require_os.lua:5: require: no module 'os' in apcsim's lua/ directory
machine { cpus = 1 }
local os = require "os"
