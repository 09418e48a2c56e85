-- require with Lua's dotted module syntax (would map to a path).
-- expect-exit: 3
-- expect-stderr: scenario error: sandbox/require_dotted.lua:5: require: module names are letters, digits and '_' only (got 'lua.nt')
machine { cpus = 1 }
local m = require "lua.nt"
