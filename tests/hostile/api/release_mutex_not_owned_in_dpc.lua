-- Releasing a mutex the (arbitrary) DPC thread does not own.
-- expect-exit: 3
-- expect-stderr: scenario error: api/release_mutex_not_owned_in_dpc.lua:6: KeReleaseMutex(m): the calling thread does not own it
machine { cpus = 1 }
local m = mutex { name = "m" }
at(ms(1), function() KeReleaseMutex(m) end)
