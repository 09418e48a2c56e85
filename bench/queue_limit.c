/*
 * queue_limit.c - the queue limit of `make bench`: the cost of one pop+push
 * on the engine's event queue (src/sim/sim.c, linked as is, assertions as in
 * the normal build) at a given queue size, alone in a loop.
 *
 * The classic "hold" model: fill the queue with SIZE events, then repeat
 * { pop the smallest; push one at its time + an increment }, so the size
 * stays SIZE. The increments imitate the storm's engine events: one in four
 * is 0 (an event at the current time: a cross-CPU kick, a DPC request, which
 * sifts up to the root), the rest uniform in [0, 2 ms) (compute ends,
 * 1 ms sleep timeouts, DPC periods). The random source is sim.c's own,
 * seeded, so every run does the same operations. After a warm-up of 2*SIZE
 * operations (the pool has grown, the caches are warm) the clock runs over
 * OPS operations; the best of REPS repetitions is reported.
 *
 * Usage: queue_limit SIZE [OPS [REPS]]
 * Prints: "queue_limit size=SIZE ops=OPS ns_per_op=X"
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sim/sim.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static inline sim_time_t increment(SimRand *r)
{
    uint64_t x = sim_rand_u64(r);
    if ((x & 3) == 0)
        return 0;
    return (sim_time_t)((x >> 2) % 2000000);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: queue_limit SIZE [OPS [REPS]]\n");
        return 2;
    }
    long size = atol(argv[1]);
    long ops = argc > 2 ? atol(argv[2]) : 10000000L;
    int reps = argc > 3 ? atoi(argv[3]) : 3;
    if (size < 1 || ops < 1 || reps < 1) {
        fprintf(stderr, "queue_limit: SIZE, OPS and REPS must be >= 1\n");
        return 2;
    }

    SimQueue *q = sim_queue_new();
    SimRand r;
    SimEvent ev;
    uint64_t check = 0;

    sim_rand_seed(&r, 1);
    for (long i = 0; i < size; i++)
        sim_queue_push(q, increment(&r), (uint32_t)(i & 7), (int32_t)i, 0);
    for (long i = 0; i < 2 * size; i++) {                  /* warm-up */
        sim_queue_pop(q, &ev);
        sim_queue_push(q, ev.t + increment(&r), ev.kind, ev.a, ev.b);
    }

    double best = 1e300;
    for (int k = 0; k < reps; k++) {
        double t0 = now_ns();
        for (long i = 0; i < ops; i++) {
            sim_queue_pop(q, &ev);
            check += (uint64_t)ev.a;
            sim_queue_push(q, ev.t + increment(&r), ev.kind, ev.a, ev.b);
        }
        double per = (now_ns() - t0) / (double)ops;
        if (per < best)
            best = per;
    }
    if (sim_queue_len(q) != (size_t)size) {
        fprintf(stderr, "queue_limit: queue size drifted\n");
        return 1;
    }
    printf("queue_limit size=%ld ops=%ld ns_per_op=%.2f check=%llu\n", size, ops, best,
           (unsigned long long)(check & 0xffff));
    sim_queue_free(q);
    return 0;
}
