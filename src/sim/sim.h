/*
 * sim.h - the simulation engine: virtual clock, event queue, random source.
 *
 * This module knows nothing of NT. It gives the kernel model three things:
 *
 *   - a virtual clock in integer nanoseconds that never goes backwards;
 *   - an event queue with a TOTAL order: (time, then sequence number). The
 *     sequence number is taken from one counter at push time, so two events
 *     at the same time pop in the order they were pushed (FIFO). Nothing
 *     else (pointers, hash order, floating point) ever decides an order;
 *   - a seeded random source (xoshiro256**, seeded through splitmix64), the
 *     only randomness of a run.
 *
 * The queue is a binary min-heap of slot indices over a slot pool with a
 * free list, so a push or a pop allocates nothing once the pool has grown,
 * and every event has a handle that can cancel it in O(log n). A handle
 * carries a generation, so cancelling an event that already fired or was
 * already cancelled is a harmless no-op that returns false.
 *
 * Alternatives rejected: a calendar queue (faster for some loads but its
 * order within a bucket needs the same seq tie-break and it is harder to
 * reason about), lazy cancellation with tombstones (leaves dead entries in
 * the heap and makes the heap size lie). tests/unit/test_sim.c checks the
 * heap against a naive sorted list (differential test).
 */
#ifndef APCSIM_SIM_H
#define APCSIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef int64_t sim_time_t;         /* nanoseconds since the start of the run */
#define SIM_TIME_NEVER INT64_MAX

/* An event as it comes out of the queue. The payload (kind, a, b) is the
 * caller's: the engine only orders and returns it. */
typedef struct SimEvent {
    sim_time_t t;                   /* when it fires */
    uint64_t seq;                   /* push order, unique per queue, the tie-break */
    uint64_t handle;                /* what sim_queue_cancel takes */
    uint32_t kind;                  /* caller-defined */
    int32_t a;                      /* caller-defined */
    int64_t b;                      /* caller-defined */
} SimEvent;

typedef struct SimQueue SimQueue;

/* Create an empty queue. Never returns NULL (aborts on out-of-memory, as GLib does). */
SimQueue *sim_queue_new(void);
/* Free the queue and every pending event. NULL is allowed. */
void sim_queue_free(SimQueue *q);

/* Schedule an event at time t. Returns its handle (never 0). The sequence
 * number is the next value of the queue's counter. O(log n), no allocation
 * unless the pool must grow. */
uint64_t sim_queue_push(SimQueue *q, sim_time_t t, uint32_t kind, int32_t a, int64_t b);

/* Cancel a pending event. Returns true if it was pending and is now gone;
 * false (and nothing changes) if the handle is 0, unknown, already fired
 * or already cancelled. O(log n). */
bool sim_queue_cancel(SimQueue *q, uint64_t handle);

/* True if the handle names an event that is still pending. */
bool sim_queue_pending(const SimQueue *q, uint64_t handle);

/* Remove the smallest event (by t, then seq) into *out. Returns false if the
 * queue is empty (then *out is untouched). */
bool sim_queue_pop(SimQueue *q, SimEvent *out);

/* Look at the smallest event without removing it. Returns false if empty. */
bool sim_queue_peek(const SimQueue *q, SimEvent *out);

/* Number of pending events. */
size_t sim_queue_len(const SimQueue *q);

/* ---- random source ----------------------------------------------------- */

/* xoshiro256** state. Same seed -> same sequence on every machine. */
typedef struct SimRand {
    uint64_t s[4];
} SimRand;

/* Seed the generator (splitmix64 expands the 64-bit seed into the state;
 * seed 0 is valid). */
void sim_rand_seed(SimRand *r, uint64_t seed);
/* Next 64 random bits. */
uint64_t sim_rand_u64(SimRand *r);
/* Uniform integer in [0, n); n must be > 0. Unbiased (rejection sampling). */
uint64_t sim_rand_below(SimRand *r, uint64_t n);
/* Uniform integer in [lo, hi] (inclusive); lo <= hi. */
int64_t sim_rand_range(SimRand *r, int64_t lo, int64_t hi);

#endif /* APCSIM_SIM_H */
