-- A thread that ends inside a critical region.
-- expect-exit: 4
-- expect-stderr: KERNEL_APC_PENDING_DURING_EXIT
machine { cpus = 1 }
thread { name = "T", system = true, body = function()
  KeEnterCriticalRegion()
end }
