-- KeInitializeApc's one-pass read of its options refuses a field it does not
-- know (a typo), as every constructor does.
-- expect-exit: 3
-- expect-stderr: scenario error: api/apc_option_unknown_field.lua:8: KeInitializeApc{}: unknown field 'kernel_rotuine'
machine { cpus = 1 }
local T
T = thread { name = "T", system = true, body = function()
  KeInitializeApc { thread = T, kernel_rotuine = function() end }
end }
