/*
 * sim.c - the event queue and the random source (contracts in sim.h).
 *
 * Event queue. Events live in a pool of slots (SimSlot); a slot is either
 * pending (it sits in the heap) or free (it sits on a singly linked free
 * list threaded through next_free). The heap is an array of slot indices
 * ordered by (t, seq); each pending slot records its own heap position, so
 * cancel finds an event in O(1) and removes it from the middle in O(log n).
 * Both arrays grow by doubling and never shrink: once a run has reached its
 * peak number of pending events, push and pop allocate nothing.
 *
 * Handles. handle = ((uint64_t)gen << 32) | (slot + 1). The low half is
 * never 0, so no handle is 0. A slot's generation is bumped every time the
 * slot is released (pop or cancel), so an old handle for a reused slot no
 * longer matches and is rejected. Honest limit: the generation is 32 bits,
 * so a handle kept across 2^32 reuses of the same slot would alias a newer
 * event; a simulation that keeps handles that long has other problems.
 *
 * Sequence numbers start at 0 and come from one 64-bit counter per queue,
 * incremented at each push; they never repeat within a queue, so (t, seq)
 * is a total order and equal times pop FIFO.
 *
 * Assertions check the cheap local invariants (slot <-> heap back-pointers)
 * on every operation. Define SIM_QUEUE_PARANOID to also check the whole heap
 * property and the free list after every operation (O(n) each, for tests).
 *
 * Random source: xoshiro256** (Blackman and Vigna, 2018) seeded with four
 * outputs of splitmix64, as its authors recommend. sim_rand_below uses
 * Lemire's multiply-and-shift with the rejection step ("Fast Random Integer
 * Generation in an Interval", 2019), which is unbiased and usually costs a
 * single multiplication. Rejected: `x % n` (biased, and a division per
 * call) and GRand (its sequence is GLib's to change, and the trace must
 * replay identically on every machine and GLib version).
 */
#include "sim/sim.h"

#include <assert.h>
#include <glib.h>

/* ---- event queue ------------------------------------------------------- */

#define SIM_SLOT_FREE   UINT32_MAX  /* SimSlot.pos of a slot on the free list */
#define SIM_NO_SLOT     UINT32_MAX  /* end of the free list */
/* Slot indices must fit in the low half of a handle as index + 1, and must
 * differ from SIM_NO_SLOT. */
#define SIM_MAX_SLOTS   (UINT32_MAX - 1u)
#define SIM_INITIAL_CAP 64u

typedef struct SimSlot {
    SimEvent ev;                    /* the event; ev.handle is valid only while pending */
    uint32_t gen;                   /* bumped on release; high half of the handle */
    uint32_t pos;                   /* index in heap[], or SIM_SLOT_FREE */
    uint32_t next_free;             /* next free slot when free, else unused */
} SimSlot;

/* Invariants: heap[0..len) holds the indices of exactly the pending slots;
 * slots[heap[i]].pos == i; for i > 0, heap[(i-1)/2] is not greater than
 * heap[i] by (t, seq); the free list holds exactly the other nslots - len
 * slots; nslots <= cap, and heap[] also has room for cap entries. */
struct SimQueue {
    SimSlot *slots;                 /* the pool, cap entries, nslots in use so far */
    uint32_t *heap;                 /* slot indices, min-heap by (t, seq) */
    uint32_t len;                   /* pending events = used entries of heap[] */
    uint32_t nslots;                /* slots ever handed out (pending or free) */
    uint32_t cap;                   /* allocated entries of slots[] and heap[] */
    uint32_t free_head;             /* first free slot, or SIM_NO_SLOT */
    uint64_t next_seq;              /* seq of the next push */
};

static inline bool
sim__ev_less(const SimEvent *x, const SimEvent *y)
{
    if (x->t != y->t)
        return x->t < y->t;
    return x->seq < y->seq;
}

static inline bool
sim__slot_less(const SimQueue *q, uint32_t i, uint32_t j)
{
    return sim__ev_less(&q->slots[i].ev, &q->slots[j].ev);
}

static inline void
sim__heap_set(SimQueue *q, uint32_t pos, uint32_t slot)
{
    q->heap[pos] = slot;
    q->slots[slot].pos = pos;
}

#ifdef SIM_QUEUE_PARANOID
/* The whole set of invariants listed above struct SimQueue. O(n). */
static bool
sim__queue_ok(const SimQueue *q)
{
    uint32_t nfree = 0;

    if (q->len > q->nslots || q->nslots > q->cap)
        return false;
    for (uint32_t i = 0; i < q->len; i++) {
        uint32_t s = q->heap[i];
        if (s >= q->nslots || q->slots[s].pos != i)
            return false;
        if (i > 0 && sim__slot_less(q, s, q->heap[(i - 1) / 2]))
            return false;
        if (q->slots[s].ev.handle !=
            (((uint64_t)q->slots[s].gen << 32) | ((uint64_t)s + 1)))
            return false;
    }
    for (uint32_t s = q->free_head; s != SIM_NO_SLOT; s = q->slots[s].next_free) {
        if (s >= q->nslots || q->slots[s].pos != SIM_SLOT_FREE || ++nfree > q->nslots)
            return false;
    }
    return nfree == q->nslots - q->len;
}
#define SIM_QUEUE_CHECK(q) assert(sim__queue_ok(q))
#else
#define SIM_QUEUE_CHECK(q) ((void)0)
#endif

/* Move the slot at heap position pos towards the root until its parent is
 * not greater. Uses a hole instead of swaps: each step writes one entry. */
static void
sim__sift_up(SimQueue *q, uint32_t pos)
{
    uint32_t slot = q->heap[pos];

    while (pos > 0) {
        uint32_t parent = (pos - 1) / 2;
        if (!sim__slot_less(q, slot, q->heap[parent]))
            break;
        sim__heap_set(q, pos, q->heap[parent]);
        pos = parent;
    }
    sim__heap_set(q, pos, slot);
}

/* Move the slot at heap position pos towards the leaves until neither child
 * is smaller. */
static void
sim__sift_down(SimQueue *q, uint32_t pos)
{
    uint32_t slot = q->heap[pos];

    for (;;) {
        /* 64-bit arithmetic: 2 * pos + 1 may not fit in 32 bits. */
        uint64_t child = 2 * (uint64_t)pos + 1;
        if (child >= q->len)
            break;
        if (child + 1 < q->len &&
            sim__slot_less(q, q->heap[child + 1], q->heap[child]))
            child++;
        if (!sim__slot_less(q, q->heap[child], slot))
            break;
        sim__heap_set(q, pos, q->heap[child]);
        pos = (uint32_t)child;
    }
    sim__heap_set(q, pos, slot);
}

/* Take the entry at heap position pos out of the heap (the slot itself is
 * not released). The last entry fills the hole and moves up or down. */
static void
sim__heap_remove_at(SimQueue *q, uint32_t pos)
{
    uint32_t last;

    assert(pos < q->len);
    last = --q->len;
    if (pos == last)
        return;
    sim__heap_set(q, pos, q->heap[last]);
    /* The moved entry came from another subtree: it may be smaller than
     * the hole's parent, or larger than the hole's children, not both. */
    if (pos > 0 && sim__slot_less(q, q->heap[pos], q->heap[(pos - 1) / 2]))
        sim__sift_up(q, pos);
    else
        sim__sift_down(q, pos);
}

/* Put a slot that has just left the heap back on the free list. Bumping the
 * generation is what makes every handle to it stale. */
static void
sim__slot_release(SimQueue *q, uint32_t slot)
{
    SimSlot *s = &q->slots[slot];

    s->gen++;
    s->pos = SIM_SLOT_FREE;
    s->ev.handle = 0;
    s->next_free = q->free_head;
    q->free_head = slot;
}

/* A free slot index, growing the pool if none is free. */
static uint32_t
sim__slot_alloc(SimQueue *q)
{
    uint32_t slot;

    if (q->free_head != SIM_NO_SLOT) {
        slot = q->free_head;
        assert(q->slots[slot].pos == SIM_SLOT_FREE);
        q->free_head = q->slots[slot].next_free;
        return slot;
    }
    if (q->nslots == q->cap) {
        uint32_t cap;
        if (q->cap >= SIM_MAX_SLOTS)
            g_error("sim_queue_push: more than %u pending events", (unsigned)SIM_MAX_SLOTS);
        cap = q->cap > SIM_MAX_SLOTS / 2 ? SIM_MAX_SLOTS : q->cap * 2;
        q->slots = g_renew(SimSlot, q->slots, cap);
        q->heap = g_renew(uint32_t, q->heap, cap);
        q->cap = cap;
    }
    slot = q->nslots++;
    q->slots[slot].gen = 1;
    q->slots[slot].pos = SIM_SLOT_FREE;
    q->slots[slot].next_free = SIM_NO_SLOT;
    return slot;
}

/* The slot a handle names if that event is still pending. */
static bool
sim__handle_slot(const SimQueue *q, uint64_t handle, uint32_t *slot_out)
{
    uint32_t lo = (uint32_t)handle;
    const SimSlot *s;

    if (lo == 0 || lo > q->nslots)
        return false;
    s = &q->slots[lo - 1];
    if (s->pos == SIM_SLOT_FREE || s->gen != (uint32_t)(handle >> 32))
        return false;
    assert(s->pos < q->len && q->heap[s->pos] == lo - 1);
    assert(s->ev.handle == handle);
    *slot_out = lo - 1;
    return true;
}

SimQueue *
sim_queue_new(void)
{
    SimQueue *q = g_new0(SimQueue, 1);

    q->cap = SIM_INITIAL_CAP;
    q->slots = g_new(SimSlot, q->cap);
    q->heap = g_new(uint32_t, q->cap);
    q->free_head = SIM_NO_SLOT;
    SIM_QUEUE_CHECK(q);
    return q;
}

void
sim_queue_free(SimQueue *q)
{
    if (q == NULL)
        return;
    g_free(q->slots);
    g_free(q->heap);
    g_free(q);
}

uint64_t
sim_queue_push(SimQueue *q, sim_time_t t, uint32_t kind, int32_t a, int64_t b)
{
    uint32_t slot;
    SimSlot *s;

    assert(q != NULL);
    assert(q->next_seq != UINT64_MAX);
    slot = sim__slot_alloc(q);
    s = &q->slots[slot];
    s->ev.t = t;
    s->ev.seq = q->next_seq++;
    s->ev.handle = ((uint64_t)s->gen << 32) | ((uint64_t)slot + 1);
    s->ev.kind = kind;
    s->ev.a = a;
    s->ev.b = b;
    assert(q->len < q->cap);
    q->heap[q->len] = slot;
    sim__sift_up(q, q->len++);
    SIM_QUEUE_CHECK(q);
    assert(s->ev.handle != 0);
    return s->ev.handle;
}

bool
sim_queue_cancel(SimQueue *q, uint64_t handle)
{
    uint32_t slot;

    assert(q != NULL);
    if (!sim__handle_slot(q, handle, &slot))
        return false;
    sim__heap_remove_at(q, q->slots[slot].pos);
    sim__slot_release(q, slot);
    SIM_QUEUE_CHECK(q);
    return true;
}

bool
sim_queue_pending(const SimQueue *q, uint64_t handle)
{
    uint32_t slot;

    assert(q != NULL);
    return sim__handle_slot(q, handle, &slot);
}

bool
sim_queue_pop(SimQueue *q, SimEvent *out)
{
    uint32_t slot;

    assert(q != NULL && out != NULL);
    if (q->len == 0)
        return false;
    slot = q->heap[0];
    assert(q->slots[slot].pos == 0);
    *out = q->slots[slot].ev;
    sim__heap_remove_at(q, 0);
    sim__slot_release(q, slot);
    SIM_QUEUE_CHECK(q);
    /* Whatever is now at the top was not smaller than what we returned. */
    assert(q->len == 0 || !sim__ev_less(&q->slots[q->heap[0]].ev, out));
    return true;
}

bool
sim_queue_peek(const SimQueue *q, SimEvent *out)
{
    assert(q != NULL && out != NULL);
    if (q->len == 0)
        return false;
    *out = q->slots[q->heap[0]].ev;
    return true;
}

size_t
sim_queue_len(const SimQueue *q)
{
    assert(q != NULL);
    return q->len;
}

/* ---- random source ----------------------------------------------------- */

static inline uint64_t
sim__rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* splitmix64 (Vigna): one step of a Weyl sequence, then a mixing function.
 * Used only to expand the seed. */
static uint64_t
sim__splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* The full 128-bit product x * y as (high, low) halves, in portable C. */
static inline void
sim__mul64(uint64_t x, uint64_t y, uint64_t *hi, uint64_t *lo)
{
    uint64_t x0 = (uint32_t)x, x1 = x >> 32;
    uint64_t y0 = (uint32_t)y, y1 = y >> 32;
    uint64_t p00 = x0 * y0, p01 = x0 * y1, p10 = x1 * y0, p11 = x1 * y1;
    /* Bits 32..63 of the product plus their carries: three addends each
     * below 2^32, so mid is below 3 * 2^32 and cannot overflow. */
    uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;

    *lo = (mid << 32) | (uint32_t)p00;
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

void
sim_rand_seed(SimRand *r, uint64_t seed)
{
    uint64_t x = seed;

    assert(r != NULL);
    for (int i = 0; i < 4; i++)
        r->s[i] = sim__splitmix64(&x);
    /* splitmix64 is a bijection of its counter, so four consecutive outputs
     * are distinct and the forbidden all-zero state cannot occur. */
    assert((r->s[0] | r->s[1] | r->s[2] | r->s[3]) != 0);
}

uint64_t
sim_rand_u64(SimRand *r)
{
    uint64_t *s = r->s;
    uint64_t result = sim__rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = sim__rotl(s[3], 45);
    return result;
}

uint64_t
sim_rand_below(SimRand *r, uint64_t n)
{
    uint64_t hi, lo;

    assert(n > 0);
    /* The high half of x * n is in [0, n). It is biased only for the
     * 2^64 mod n values of the low half below that threshold; rejecting
     * those leaves exactly floor(2^64 / n) values of x for each result.
     * The threshold (a division) is computed only when lo < n, which
     * for small n almost never happens. */
    sim__mul64(sim_rand_u64(r), n, &hi, &lo);
    if (lo < n) {
        uint64_t threshold = (0 - n) % n;   /* = 2^64 mod n */
        while (lo < threshold)
            sim__mul64(sim_rand_u64(r), n, &hi, &lo);
    }
    assert(hi < n);
    return hi;
}

/* Two's-complement reinterpretation without implementation-defined casts. */
static inline int64_t
sim__u64_to_i64(uint64_t u)
{
    if (u <= (uint64_t)INT64_MAX)
        return (int64_t)u;
    return -(int64_t)(~u) - 1;
}

int64_t
sim_rand_range(SimRand *r, int64_t lo, int64_t hi)
{
    /* Work modulo 2^64: span = hi - lo fits in a uint64_t for any pair of
     * int64_t, and lo + offset lands back in [lo, hi]. */
    uint64_t span, off;

    assert(lo <= hi);
    span = (uint64_t)hi - (uint64_t)lo;
    off = span == UINT64_MAX ? sim_rand_u64(r) : sim_rand_below(r, span + 1);
    return sim__u64_to_i64((uint64_t)lo + off);
}
