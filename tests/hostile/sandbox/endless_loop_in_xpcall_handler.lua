-- An endless loop in an xpcall message handler.
-- expect-exit: 3
-- timeout: 3
-- args: --instruction-budget 20000000
-- expect-stderr: scenario error: sandbox/endless_loop_in_xpcall_handler.lua:
machine { cpus = 1 }
thread { name = "T", body = function()
  xpcall(function() error("x") end, function(m) while true do end end)
end }
