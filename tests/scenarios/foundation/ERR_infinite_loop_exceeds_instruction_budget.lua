-- ERR_infinite_loop_exceeds_instruction_budget: a thread body that loops
-- forever without calling into the simulator is stopped by the instruction
-- budget: a scenario error (exit 3) saying "instruction budget exceeded",
-- with the loop's file:line. Kept fast with a small budget.
-- API: scenario errors; CLI --instruction-budget.
-- args: --instruction-budget 1000000
-- expect-exit: 3
-- expect-stderr: instruction budget exceeded
-- expect-stderr: ERR_infinite_loop_exceeds_instruction_budget.lua:12:
thread { name = "spinner", body = function()
    compute(us(10))
    while true do end
end }
