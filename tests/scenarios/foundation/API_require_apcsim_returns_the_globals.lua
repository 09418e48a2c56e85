-- API_require_apcsim_returns_the_globals: require "apcsim" returns the same
-- table of names the scenario sees as globals; time helpers convert to integer
-- nanoseconds (ns, us, ms, sec). API section 1 ("All names below are globals in
-- it (and require "apcsim" returns the same table)").
local apcsim = require "apcsim"
expect(type(apcsim) == "table", "require returns a table")
expect(apcsim.thread == thread and apcsim.event == event and apcsim.at == at, "same functions as the globals")
expect(apcsim.KeWaitForSingleObject == KeWaitForSingleObject, "Ke* too")
expect(ns(5) == 5 and us(5) == 5000 and ms(5) == 5000000 and sec(5) == 5000000000, "time units")
expect(math.type(ms(2)) == "integer" and math.type(sec(1)) == "integer", "integer nanoseconds")
expect(PASSIVE_LEVEL == 0 and APC_LEVEL == 1 and DISPATCH_LEVEL == 2 and HIGH_LEVEL == 31, "IRQL constants")
thread { name = "t", body = function() compute(us(1)) end }
