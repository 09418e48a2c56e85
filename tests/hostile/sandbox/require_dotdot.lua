-- require escaping lua/ with a relative path.
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/require_dotdot.lua:5: require: module names are letters, digits and '_' only (got '../x')
machine { cpus = 1 }
local m = require "../x"
