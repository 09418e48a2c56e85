-- K3b_readying_order_of_waiters_at_equal_priority: threads woken by one
-- KeSetEvent on a notification event are readied in wait-list order (first
-- waiter first) and, being of equal priority, run in that order. The threads
-- are created a, b, c but start waiting c, b, a (start_at), so the run order
-- must be c, b, a: wait order, not creation order. Rules: K3b, K3, K1.
local e = event { name = "e" }
local order = {}

for i, n in ipairs { "a", "b", "c" } do
    thread { name = n, system = true, priority = 8, start_at = us(400 - 100 * i), body = function()
        KeWaitForSingleObject(e, {})
        order[#order + 1] = n
    end }
end

at(ms(1), function() KeSetEvent(e, 0) end)
at(ms(2), function()
    local s = table.concat(order)
    expect(s == "cba", "woken threads run in wait-list order c, b, a; got " .. s)
end)
