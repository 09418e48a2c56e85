-- require of an absolute path.
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/require_abs.lua:5: require: module names are letters, digits and '_' only (got '/etc/passwd')
machine { cpus = 1 }
local m = require "/etc/passwd"
