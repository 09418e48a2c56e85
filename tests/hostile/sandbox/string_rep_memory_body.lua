-- string.rep of 1 GiB inside a thread body.
-- expect-exit: 3
-- expect-stderr: memory limit exceeded
-- expect-stderr: scenario error: sandbox/string_rep_memory_body.lua:7:
machine { cpus = 1 }
thread { name = "T", body = function()
  local s = string.rep("abcdefgh", 1 << 27)
end }
