-- EXPECT_bugcheck_that_never_happens_fails: expect_bugcheck(name) says the
-- scenario is meant to end in that bugcheck; a run that ends normally instead
-- fails the expectation (exit status 1). API expect_bugcheck, exit status 1.
-- expect-exit: 1
-- expect-stderr: IRQL_NOT_LESS_OR_EQUAL
expect_bugcheck("IRQL_NOT_LESS_OR_EQUAL")

thread { name = "k", system = true, body = function()
    compute(us(10))
end }
