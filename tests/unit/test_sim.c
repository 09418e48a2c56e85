/*
 * test_sim.c - unit tests of the simulation engine (src/sim/sim.c).
 *
 * The event queue is checked against a naive model (an unsorted array with
 * linear scans for the minimum and for a handle) over long seeded random
 * mixes of push, pop, cancel and peek; every pop, every cancel result and
 * every length must agree exactly. The random source is checked against
 * known answers computed with an independent Python transcription of the
 * reference xoshiro256** / splitmix64 code, against a second C transcription
 * kept here, and statistically for sim_rand_below's uniformity and lack of
 * bias. All randomness in the tests is seeded, so every run is identical.
 */
#include "sim/sim.h"

#include <glib.h>
#include <string.h>

/* ---- the naive model of the queue -------------------------------------- */

typedef struct Model {
    GArray *live;                   /* SimEvent, pending events, no order */
    uint64_t next_seq;              /* seq the next push must get */
} Model;

static bool
ev_less(const SimEvent *x, const SimEvent *y)
{
    return x->t < y->t || (x->t == y->t && x->seq < y->seq);
}

/* Index of the smallest pending event, or -1 if none. */
static gssize
model_min(const Model *m)
{
    gssize best = -1;

    for (guint i = 0; i < m->live->len; i++) {
        if (best < 0 || ev_less(&g_array_index(m->live, SimEvent, i),
                                &g_array_index(m->live, SimEvent, best)))
            best = (gssize)i;
    }
    return best;
}

static gssize
model_find(const Model *m, uint64_t handle)
{
    for (guint i = 0; i < m->live->len; i++) {
        if (g_array_index(m->live, SimEvent, i).handle == handle)
            return (gssize)i;
    }
    return -1;
}

static void
model_push(Model *m, uint64_t handle, sim_time_t t, uint32_t kind, int32_t a, int64_t b)
{
    SimEvent ev = { .t = t, .seq = m->next_seq++, .handle = handle,
                    .kind = kind, .a = a, .b = b };

    g_array_append_val(m->live, ev);
}

static bool
model_pop(Model *m, SimEvent *out)
{
    gssize i = model_min(m);

    if (i < 0)
        return false;
    *out = g_array_index(m->live, SimEvent, i);
    g_array_remove_index_fast(m->live, (guint)i);
    return true;
}

static bool
model_cancel(Model *m, uint64_t handle)
{
    gssize i = model_find(m, handle);

    if (i < 0)
        return false;
    g_array_remove_index_fast(m->live, (guint)i);
    return true;
}

static void
assert_event_eq(const SimEvent *want, const SimEvent *got, guint64 seed, guint step)
{
    if (want->t != got->t || want->seq != got->seq || want->handle != got->handle ||
        want->kind != got->kind || want->a != got->a || want->b != got->b)
        g_test_message("mismatch at seed %" G_GUINT64_FORMAT " step %u", seed, step);
    g_assert_cmpint(got->t, ==, want->t);
    g_assert_cmpuint(got->seq, ==, want->seq);
    g_assert_cmpuint(got->handle, ==, want->handle);
    g_assert_cmpuint(got->kind, ==, want->kind);
    g_assert_cmpint(got->a, ==, want->a);
    g_assert_cmpint(got->b, ==, want->b);
}

static gint64
rand_i64(GRand *g)
{
    return (gint64)(((guint64)g_rand_int(g) << 32) | g_rand_int(g));
}

/* A time for a push: mostly a few distinct values near a drifting base, so
 * that many events share a time and the seq tie-break decides; sometimes
 * wide or extreme values. */
static sim_time_t
pick_time(GRand *g, sim_time_t base)
{
    static const sim_time_t extremes[] = { INT64_MIN, INT64_MIN + 1, -1, 0, 1,
                                           INT64_MAX - 1, INT64_MAX };
    int r = g_rand_int_range(g, 0, 100);

    if (r < 85)
        return base + g_rand_int_range(g, 0, 8);
    if (r < 95)
        return (sim_time_t)g_rand_int_range(g, -1000000, 1000000) * 1000;
    if (r < 98)
        return extremes[g_rand_int_range(g, 0, G_N_ELEMENTS(extremes))];
    return rand_i64(g);
}

/* A handle for cancel/pending: any handle ever issued (pending, popped or
 * cancelled), a surely pending one, or a made-up one. */
static uint64_t
pick_handle(GRand *g, const GArray *issued, const Model *m)
{
    int r = g_rand_int_range(g, 0, 100);

    if (r < 50 && issued->len > 0)
        return g_array_index(issued, guint64, g_rand_int_range(g, 0, (gint32)issued->len));
    if (r < 80 && m->live->len > 0)
        return g_array_index(m->live, SimEvent,
                             g_rand_int_range(g, 0, (gint32)m->live->len)).handle;
    switch (g_rand_int_range(g, 0, 6)) {
    case 0:
        return 0;
    case 1:
        return UINT64_MAX;
    case 2:
        return (guint64)rand_i64(g);
    case 3:                         /* a slot index far beyond the pool */
        return ((guint64)1 << 32) | (guint64)g_rand_int_range(g, 100000, G_MAXINT32);
    case 4:                         /* a valid-looking slot, zero low half */
        return (guint64)g_rand_int(g) << 32;
    default:                        /* an issued handle, next generation */
        if (issued->len == 0)
            return 0;
        return g_array_index(issued, guint64, g_rand_int_range(g, 0, (gint32)issued->len)) +
               ((guint64)1 << 32);
    }
}

static int
cmp_u64(gconstpointer x, gconstpointer y)
{
    guint64 a = *(const guint64 *)x, b = *(const guint64 *)y;

    return a < b ? -1 : a > b;
}

static void
differential_run(guint64 seed, guint nops)
{
    GRand *g = g_rand_new_with_seed_array((const guint32[]){ (guint32)seed,
                                                             (guint32)(seed >> 32) }, 2);
    SimQueue *q = sim_queue_new();
    Model m = { .live = g_array_new(FALSE, FALSE, sizeof(SimEvent)) };
    GArray *issued = g_array_new(FALSE, FALSE, sizeof(guint64));
    sim_time_t base = 0;
    SimEvent got, want;
    guint npop = 0, ncancel_true = 0, ncancel_false = 0, npeak = 0, nempty = 0;

    /* Learn the queue's first seq; from then on the model predicts it. */
    {
        uint64_t h = sim_queue_push(q, 0, 0, 0, 0);
        g_assert_true(sim_queue_pop(q, &got));
        g_assert_cmpuint(got.handle, ==, h);
        m.next_seq = got.seq + 1;
        g_array_append_val(issued, h);
    }

    for (guint step = 0; step < nops; step++) {
        /* Alternate growing and shrinking phases so that the heap is
         * exercised at many sizes and slots are reused heavily. */
        int push_pct = (step / 2000) % 2 == 0 ? 62 : 20;
        int r = g_rand_int_range(g, 0, 100);

        if (r < push_pct) {
            sim_time_t t = pick_time(g, base);
            uint32_t kind = g_rand_int(g);
            int32_t a = (int32_t)g_rand_int(g);
            int64_t b = rand_i64(g);
            uint64_t h = sim_queue_push(q, t, kind, a, b);

            g_assert_cmpuint(h, !=, 0);
            g_assert_true(sim_queue_pending(q, h));
            model_push(&m, h, t, kind, a, b);
            g_array_append_val(issued, h);
        } else if (r < push_pct + (100 - push_pct) / 2) {
            bool want_ok = model_pop(&m, &want);
            bool got_ok;

            memset(&got, 0xa5, sizeof got);
            got_ok = sim_queue_pop(q, &got);
            g_assert_cmpint(got_ok, ==, want_ok);
            if (!want_ok) {
                SimEvent poison;
                memset(&poison, 0xa5, sizeof poison);
                g_assert_cmpmem(&got, sizeof got, &poison, sizeof poison);
            } else {
                assert_event_eq(&want, &got, seed, step);
                g_assert_false(sim_queue_pending(q, got.handle));
                npop++;
                /* Time moves on, as in a simulation; pushes may still land
                 * in the past, which the queue must also order. */
                if (got.t > base && got.t < INT64_MAX / 2)
                    base = got.t;
            }
        } else {
            uint64_t h = pick_handle(g, issued, &m);
            bool want_ok = model_cancel(&m, h);

            g_assert_cmpint(sim_queue_cancel(q, h), ==, want_ok);
            g_assert_false(sim_queue_pending(q, h));
            if (want_ok)
                ncancel_true++;
            else
                ncancel_false++;
        }

        g_assert_cmpuint(sim_queue_len(q), ==, m.live->len);
        npeak = MAX(npeak, m.live->len);
        nempty += m.live->len == 0;
        {
            gssize i = model_min(&m);
            bool ok = sim_queue_peek(q, &got);
            g_assert_cmpint(ok, ==, i >= 0);
            if (ok)
                assert_event_eq(&g_array_index(m.live, SimEvent, i), &got, seed, step);
        }
        {
            uint64_t h = pick_handle(g, issued, &m);
            g_assert_cmpint(sim_queue_pending(q, h), ==, model_find(&m, h) >= 0);
        }
    }

    /* Every handle ever issued is distinct (generations at work). */
    g_array_sort(issued, cmp_u64);
    for (guint i = 1; i < issued->len; i++)
        g_assert_cmpuint(g_array_index(issued, guint64, i - 1), !=,
                         g_array_index(issued, guint64, i));

    /* The mix must really have exercised what it claims to. */
    g_assert_cmpuint(npop, >, nops / 10);
    g_assert_cmpuint(ncancel_true, >, nops / 20);
    g_assert_cmpuint(ncancel_false, >, nops / 20);
    g_assert_cmpuint(npeak, >, 100);
    g_assert_cmpuint(nempty, >, 0);

    /* Drain on even seeds; odd seeds free a non-empty queue (LeakSanitizer
     * checks that sim_queue_free releases everything). */
    if (seed % 2 == 0) {
        while (model_pop(&m, &want)) {
            g_assert_true(sim_queue_pop(q, &got));
            assert_event_eq(&want, &got, seed, nops);
        }
        g_assert_false(sim_queue_pop(q, &got));
        g_assert_cmpuint(sim_queue_len(q), ==, 0);
    }

    g_test_message("seed %" G_GUINT64_FORMAT ": %u pops, %u cancels true, %u false, "
                   "peak %u, empty %u times", seed, npop, ncancel_true, ncancel_false,
                   npeak, nempty);
    sim_queue_free(q);
    g_array_free(m.live, TRUE);
    g_array_free(issued, TRUE);
    g_rand_free(g);
}

static void
test_queue_differential(void)
{
    static const guint64 seeds[] = { 1, 2, 42, 0x5eed, 0xdeadbeefcafef00d };

    for (guint i = 0; i < G_N_ELEMENTS(seeds); i++)
        differential_run(seeds[i], 30000);
}

/* ---- targeted queue tests ---------------------------------------------- */

static void
test_queue_fifo(void)
{
    SimQueue *q = sim_queue_new();
    SimEvent ev;
    uint64_t last_seq = 0;

    /* Equal times interleaved with earlier and later ones. */
    for (int i = 0; i < 1000; i++) {
        sim_queue_push(q, 5, 1, i, 0);
        if (i % 3 == 0)
            sim_queue_push(q, 7, 2, i, 0);
        if (i % 5 == 0)
            sim_queue_push(q, 3, 0, i, 0);
    }
    for (int i = 0; i < 1000; i += 5) {
        g_assert_true(sim_queue_pop(q, &ev));
        g_assert_cmpint(ev.t, ==, 3);
        g_assert_cmpint(ev.a, ==, i);
    }
    /* Pop half of the t = 5 group, then push more at t = 5: the newcomers
     * come after everything already there. */
    for (int i = 0; i < 500; i++) {
        g_assert_true(sim_queue_pop(q, &ev));
        g_assert_cmpint(ev.t, ==, 5);
        g_assert_cmpuint(ev.kind, ==, 1);
        g_assert_cmpint(ev.a, ==, i);
        g_assert_true(i == 0 || ev.seq > last_seq);
        last_seq = ev.seq;
    }
    for (int i = 1000; i < 1100; i++)
        sim_queue_push(q, 5, 1, i, 0);
    for (int i = 500; i < 1100; i++) {
        g_assert_true(sim_queue_pop(q, &ev));
        g_assert_cmpint(ev.t, ==, 5);
        g_assert_cmpint(ev.a, ==, i);
        g_assert_cmpuint(ev.seq, >, last_seq);
        last_seq = ev.seq;
    }
    for (int i = 0; i < 1000; i += 3) {
        g_assert_true(sim_queue_pop(q, &ev));
        g_assert_cmpint(ev.t, ==, 7);
        g_assert_cmpint(ev.a, ==, i);
    }
    g_assert_false(sim_queue_pop(q, &ev));
    sim_queue_free(q);
}

static void
test_queue_peek(void)
{
    SimQueue *q = sim_queue_new();
    SimEvent ev, ev2, poison;
    uint64_t h;

    memset(&poison, 0x5a, sizeof poison);
    ev = poison;
    g_assert_false(sim_queue_peek(q, &ev));
    g_assert_cmpmem(&ev, sizeof ev, &poison, sizeof poison);
    g_assert_false(sim_queue_pop(q, &ev));
    g_assert_cmpmem(&ev, sizeof ev, &poison, sizeof poison);

    sim_queue_push(q, 30, 3, -3, 33);
    h = sim_queue_push(q, 10, 1, -1, 11);
    sim_queue_push(q, 20, 2, -2, 22);
    for (int i = 0; i < 3; i++) {
        g_assert_true(sim_queue_peek(q, &ev));
        g_assert_cmpuint(sim_queue_len(q), ==, 3);
    }
    g_assert_cmpint(ev.t, ==, 10);
    g_assert_cmpuint(ev.kind, ==, 1);
    g_assert_cmpint(ev.a, ==, -1);
    g_assert_cmpint(ev.b, ==, 11);
    g_assert_cmpuint(ev.handle, ==, h);
    g_assert_true(sim_queue_pending(q, h));
    g_assert_true(sim_queue_pop(q, &ev2));
    g_assert_cmpmem(&ev, sizeof ev, &ev2, sizeof ev2);
    g_assert_cmpuint(sim_queue_len(q), ==, 2);
    g_assert_true(sim_queue_peek(q, &ev));
    g_assert_cmpint(ev.t, ==, 20);
    sim_queue_free(q);
}

static void
test_queue_pending(void)
{
    SimQueue *q = sim_queue_new();
    SimEvent ev;
    uint64_t a, b, c;

    a = sim_queue_push(q, 1, 0, 0, 0);
    b = sim_queue_push(q, 2, 0, 0, 0);
    g_assert_cmpuint(a, !=, 0);
    g_assert_cmpuint(b, !=, 0);
    g_assert_cmpuint(a, !=, b);
    g_assert_true(sim_queue_pending(q, a));
    g_assert_true(sim_queue_pending(q, b));

    /* Popped: no longer pending, cannot be cancelled. */
    g_assert_true(sim_queue_pop(q, &ev));
    g_assert_cmpuint(ev.handle, ==, a);
    g_assert_false(sim_queue_pending(q, a));
    g_assert_false(sim_queue_cancel(q, a));

    /* Cancelled: gone, and a second cancel is a no-op. */
    g_assert_true(sim_queue_cancel(q, b));
    g_assert_false(sim_queue_pending(q, b));
    g_assert_false(sim_queue_cancel(q, b));
    g_assert_cmpuint(sim_queue_len(q), ==, 0);

    /* A new event likely reuses a freed slot; the old handles must not
     * reach it. */
    c = sim_queue_push(q, 3, 0, 0, 0);
    g_assert_cmpuint(c, !=, a);
    g_assert_cmpuint(c, !=, b);
    g_assert_false(sim_queue_pending(q, a));
    g_assert_false(sim_queue_pending(q, b));
    g_assert_false(sim_queue_cancel(q, a));
    g_assert_false(sim_queue_cancel(q, b));
    g_assert_true(sim_queue_pending(q, c));
    g_assert_cmpuint(sim_queue_len(q), ==, 1);
    g_assert_true(sim_queue_cancel(q, c));
    g_assert_false(sim_queue_pop(q, &ev));
    sim_queue_free(q);
}

static void
test_queue_bogus_handles(void)
{
    SimQueue *q = sim_queue_new();
    SimEvent ev;
    uint64_t h, bogus[8];

    sim_queue_free(NULL);
    g_assert_false(sim_queue_pending(q, 0));
    g_assert_false(sim_queue_cancel(q, 0));
    g_assert_false(sim_queue_cancel(q, 1));
    g_assert_false(sim_queue_cancel(q, UINT64_MAX));

    h = sim_queue_push(q, 100, 7, 8, 9);
    bogus[0] = 0;
    bogus[1] = UINT64_MAX;
    bogus[2] = h ^ ((uint64_t)1 << 32);                /* other generation */
    bogus[3] = h + ((uint64_t)1 << 40);
    bogus[4] = h & ~(uint64_t)UINT32_MAX;              /* zero low half */
    bogus[5] = (h & ~(uint64_t)UINT32_MAX) | 1000000;  /* slot out of range */
    bogus[6] = (uint64_t)1 << 63;
    bogus[7] = h + 1;                                  /* neighbouring slot */
    for (guint i = 0; i < G_N_ELEMENTS(bogus); i++) {
        g_assert_cmpuint(bogus[i], !=, h);
        g_assert_false(sim_queue_pending(q, bogus[i]));
        g_assert_false(sim_queue_cancel(q, bogus[i]));
        g_assert_cmpuint(sim_queue_len(q), ==, 1);
    }
    g_assert_true(sim_queue_pop(q, &ev));
    g_assert_cmpuint(ev.handle, ==, h);
    g_assert_cmpint(ev.t, ==, 100);
    sim_queue_free(q);
}

static void
test_queue_cancel(void)
{
    enum { N = 257 };
    SimQueue *q = sim_queue_new();
    uint64_t h[N];
    SimEvent ev;
    int order[N], prev = -1, npop = 0, nleft = 0;

    /* Distinct times pushed in a scrambled order (37 is coprime with N). */
    for (int i = 0; i < N; i++)
        order[i] = (i * 37) % N;
    for (int i = 0; i < N; i++)
        h[order[i]] = sim_queue_push(q, order[i], 0, order[i], 0);
    /* Cancel the minimum, the maximum, and every third in between. */
    g_assert_true(sim_queue_cancel(q, h[0]));
    g_assert_true(sim_queue_cancel(q, h[N - 1]));
    for (int i = 3; i < N - 1; i += 3)
        g_assert_true(sim_queue_cancel(q, h[i]));
    for (int i = 3; i < N - 1; i += 3)
        g_assert_false(sim_queue_cancel(q, h[i]));
    for (int i = 1; i < N - 1; i++)
        nleft += i % 3 != 0;
    g_assert_cmpuint(sim_queue_len(q), ==, nleft);
    while (sim_queue_pop(q, &ev)) {
        npop++;
        g_assert_cmpint(ev.t, >, prev);
        g_assert_cmpint(ev.t, !=, 0);
        g_assert_cmpint(ev.t, !=, N - 1);
        g_assert_cmpint(ev.t % 3, !=, 0);
        g_assert_cmpuint(ev.handle, ==, h[ev.a]);
        prev = (int)ev.t;
    }
    g_assert_cmpint(npop, ==, nleft);
    g_assert_cmpint(prev, ==, (N - 2) % 3 != 0 ? N - 2 : N - 3);
    sim_queue_free(q);
}

static void
test_queue_extreme_times(void)
{
    static const sim_time_t in[] = { 0, INT64_MAX, -1, INT64_MIN, 1, SIM_TIME_NEVER,
                                     INT64_MIN + 1, INT64_MAX - 1, INT64_MIN };
    static const sim_time_t out[] = { INT64_MIN, INT64_MIN, INT64_MIN + 1, -1, 0, 1,
                                      INT64_MAX - 1, INT64_MAX, SIM_TIME_NEVER };
    SimQueue *q = sim_queue_new();
    SimEvent ev;

    for (guint i = 0; i < G_N_ELEMENTS(in); i++)
        sim_queue_push(q, in[i], 0, (int32_t)i, 0);
    for (guint i = 0; i < G_N_ELEMENTS(out); i++) {
        g_assert_true(sim_queue_pop(q, &ev));
        g_assert_cmpint(ev.t, ==, out[i]);
    }
    sim_queue_free(q);
}

/* White-box: sim.c puts slot index + 1 in the low half of a handle. With at
 * most 16 events pending at once, churn (fill to a random level, then empty
 * to a random level, by pops and cancels) must keep reusing the same 16
 * slots: the free list works and the pool stops growing. */
static void
test_queue_slot_reuse(void)
{
    SimQueue *q = sim_queue_new();
    SimRand r;
    SimEvent ev;
    uint64_t live[16];
    size_t nlive = 0;
    uint32_t max_slot = 0;

    sim_rand_seed(&r, 7);
    for (int round = 0; round < 2000; round++) {
        size_t fill = 1 + (size_t)sim_rand_below(&r, 16);
        size_t keep = (size_t)sim_rand_below(&r, fill);

        while (nlive < fill) {
            uint64_t h = sim_queue_push(q, (sim_time_t)sim_rand_below(&r, 100), 0, 0, 0);
            max_slot = MAX(max_slot, (uint32_t)h);
            live[nlive++] = h;
        }
        while (nlive > keep) {
            size_t i = (size_t)sim_rand_below(&r, nlive);
            if (sim_rand_below(&r, 2) == 0) {
                g_assert_true(sim_queue_pop(q, &ev));
                for (i = 0; live[i] != ev.handle; i++)
                    g_assert_cmpuint(i + 1, <, nlive);
            } else {
                g_assert_true(sim_queue_cancel(q, live[i]));
            }
            live[i] = live[--nlive];
        }
        g_assert_cmpuint(sim_queue_len(q), ==, nlive);
    }
    g_assert_cmpuint(max_slot, <=, 16);
    sim_queue_free(q);
}

/* ---- random source ----------------------------------------------------- */

/* Expected values computed with an independent Python 3 transcription of
 * the reference splitmix64.c and xoshiro256starstar.c (Vigna). The first
 * splitmix64 output for seed 0, 0xe220a8397b1dcdaf, is the published one. */
static const struct {
    uint64_t seed;
    uint64_t state[4];
    uint64_t out[6];
} known_answers[] = {
    { 0,
      { UINT64_C(0xe220a8397b1dcdaf), UINT64_C(0x6e789e6aa1b965f4),
        UINT64_C(0x06c45d188009454f), UINT64_C(0xf88bb8a8724c81ec) },
      { UINT64_C(0x99ec5f36cb75f2b4), UINT64_C(0xbf6e1f784956452a),
        UINT64_C(0x1a5f849d4933e6e0), UINT64_C(0x6aa594f1262d2d2c),
        UINT64_C(0xbba5ad4a1f842e59), UINT64_C(0xffef8375d9ebcaca) } },
    { 1,
      { UINT64_C(0x910a2dec89025cc1), UINT64_C(0xbeeb8da1658eec67),
        UINT64_C(0xf893a2eefb32555e), UINT64_C(0x71c18690ee42c90b) },
      { UINT64_C(0xb3f2af6d0fc710c5), UINT64_C(0x853b559647364cea),
        UINT64_C(0x92f89756082a4514), UINT64_C(0x642e1c7bc266a3a7),
        UINT64_C(0xb27a48e29a233673), UINT64_C(0x24c123126ffda722) } },
    { UINT64_C(0x0123456789abcdef),
      { UINT64_C(0x157a3807a48faa9d), UINT64_C(0xd573529b34a1d093),
        UINT64_C(0x2f90b72e996dccbe), UINT64_C(0xa2d419334c4667ec) },
      { UINT64_C(0xa2c2a42038d4ec3d), UINT64_C(0x05fc25d0738e7b0f),
        UINT64_C(0x625e7bff938e701e), UINT64_C(0x1ba4ddc6fe2b5726),
        UINT64_C(0xdf0a2482ac9254cf), UINT64_C(0x3939eda866ababe8) } },
    { UINT64_MAX,
      { UINT64_C(0xe4d971771b652c20), UINT64_C(0xe99ff867dbf682c9),
        UINT64_C(0x382ff84cb27281e9), UINT64_C(0x6d1db36ccba982d2) },
      { UINT64_C(0x8f5520d52a7ead08), UINT64_C(0xc476a018caa1802d),
        UINT64_C(0x81de31c0d260469e), UINT64_C(0xbf658d7e065f3c2f),
        UINT64_C(0x913593fda1bca32a), UINT64_C(0xbb535e93941ba525) } },
};

static void
test_rand_known_answer(void)
{
    for (guint k = 0; k < G_N_ELEMENTS(known_answers); k++) {
        SimRand r;

        sim_rand_seed(&r, known_answers[k].seed);
        for (int i = 0; i < 4; i++)
            g_assert_cmphex(r.s[i], ==, known_answers[k].state[i]);
        for (int i = 0; i < 6; i++)
            g_assert_cmphex(sim_rand_u64(&r), ==, known_answers[k].out[i]);
    }
}

/* A second, deliberately plain transcription of the reference code, to
 * compare long streams. */
static uint64_t
ref_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static void
ref_seed(uint64_t s[4], uint64_t seed)
{
    for (int i = 0; i < 4; i++) {
        uint64_t z;
        seed += 0x9e3779b97f4a7c15u;
        z = seed;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
        s[i] = z ^ (z >> 31);
    }
}

static uint64_t
ref_next(uint64_t s[4])
{
    const uint64_t result = ref_rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = ref_rotl(s[3], 45);
    return result;
}

static void
test_rand_reference(void)
{
    static const uint64_t seeds[] = { 0, 1, 2, 12345, UINT64_C(0x8000000000000000), UINT64_MAX };

    for (guint k = 0; k < G_N_ELEMENTS(seeds); k++) {
        SimRand r;
        uint64_t s[4];

        sim_rand_seed(&r, seeds[k]);
        ref_seed(s, seeds[k]);
        for (int i = 0; i < 20000; i++)
            g_assert_cmphex(sim_rand_u64(&r), ==, ref_next(s));
    }
}

static void
test_rand_same_seed(void)
{
    SimRand a, b, c;
    uint64_t first[64];
    int differ = 0;

    sim_rand_seed(&a, 99);
    sim_rand_seed(&b, 99);
    sim_rand_seed(&c, 100);
    for (int i = 0; i < 1000; i++) {
        uint64_t x = sim_rand_u64(&a);
        if (i < 64)
            first[i] = x;
        g_assert_cmphex(x, ==, sim_rand_u64(&b));
        differ += x != sim_rand_u64(&c);
    }
    g_assert_cmpint(differ, >, 990);
    /* Reseeding restarts the sequence. */
    sim_rand_seed(&a, 99);
    for (int i = 0; i < 64; i++)
        g_assert_cmphex(sim_rand_u64(&a), ==, first[i]);
    /* The derived draws are deterministic too. */
    sim_rand_seed(&a, 5);
    sim_rand_seed(&b, 5);
    for (int i = 0; i < 1000; i++) {
        g_assert_cmpuint(sim_rand_below(&a, 1000 + (uint64_t)i), ==,
                         sim_rand_below(&b, 1000 + (uint64_t)i));
        g_assert_cmpint(sim_rand_range(&a, -i, i), ==, sim_rand_range(&b, -i, i));
    }
}

static void
test_rand_below_range(void)
{
    static const uint64_t ns[] = {
        1, 2, 3, 7, 10, 1000, UINT32_MAX - 1, UINT32_MAX, (uint64_t)UINT32_MAX + 1,
        (uint64_t)UINT32_MAX + 2, UINT64_C(1) << 63, (UINT64_C(1) << 63) + 1,
        UINT64_MAX - 1, UINT64_MAX,
    };
    SimRand r;

    sim_rand_seed(&r, 2024);
    for (guint k = 0; k < G_N_ELEMENTS(ns); k++) {
        uint64_t max = 0;
        for (int i = 0; i < 20000; i++) {
            uint64_t x = sim_rand_below(&r, ns[k]);
            g_assert_cmpuint(x, <, ns[k]);
            max = MAX(max, x);
        }
        /* Not stuck low: the largest draw is in the top half of the range
         * (for n >= 2 the chance of failing is 2^-20000). */
        if (ns[k] >= 2)
            g_assert_cmpuint(max, >=, ns[k] / 2);
    }
}

/* Chi-square goodness of fit for small n. The bound 3 df + 20 is far in the
 * tail (the mean is df, the standard deviation sqrt(2 df); for df = 1 the
 * chance of exceeding it is about 2e-6), and the seed is fixed, so the
 * result is deterministic; a generator stuck on some values fails it by
 * orders of magnitude. */
static void
test_rand_below_uniform(void)
{
    SimRand r;

    sim_rand_seed(&r, 31337);
    for (uint64_t n = 2; n <= 16; n++) {
        const int per_bucket = 5000;
        int count[16] = { 0 };
        double chi2 = 0, df = (double)(n - 1);

        for (uint64_t i = 0; i < n * per_bucket; i++)
            count[sim_rand_below(&r, n)]++;
        for (uint64_t v = 0; v < n; v++) {
            double d = count[v] - per_bucket;
            chi2 += d * d / per_bucket;
        }
        g_test_message("n=%" G_GUINT64_FORMAT " chi2=%.2f df=%.0f", n, chi2, df);
        g_assert_cmpfloat(chi2, <, 3 * df + 20);
    }
}

/* Bias that a small n would hide. For n = 3 * 2^62, 2^64 mod n = 2^62:
 *   - `x % n` gives [0, 2^62) twice the weight: P(v < 2^62) = 1/2;
 *   - Lemire without the rejection step gives every v = 0 mod 3 two
 *     preimages and the others one: P(v % 3 == 0) = 1/2.
 * Unbiased, both are 1/3. With 60000 draws the standard deviation is about
 * 0.002, so a margin of 0.02 separates them by ten sigmas either way. */
static void
test_rand_below_unbiased(void)
{
    const uint64_t n = UINT64_C(3) << 62;
    const int draws = 60000;
    int low = 0, mod3 = 0;
    SimRand r;

    sim_rand_seed(&r, 11);
    for (int i = 0; i < draws; i++) {
        uint64_t v = sim_rand_below(&r, n);
        g_assert_cmpuint(v, <, n);
        low += v < (UINT64_C(1) << 62);
        mod3 += v % 3 == 0;
    }
    g_assert_cmpfloat_with_epsilon((double)low / draws, 1.0 / 3, 0.02);
    g_assert_cmpfloat_with_epsilon((double)mod3 / draws, 1.0 / 3, 0.02);
}

#ifdef __SIZEOF_INT128__
__extension__ typedef unsigned __int128 ref_u128;

/* Lemire's method with 128-bit arithmetic, to check sim.c's portable
 * 64x64 multiplication and its rejection threshold draw for draw. */
static uint64_t
ref_below(SimRand *r, uint64_t n)
{
    ref_u128 m = (ref_u128)sim_rand_u64(r) * n;

    if ((uint64_t)m < n) {
        uint64_t t = -n % n;
        while ((uint64_t)m < t)
            m = (ref_u128)sim_rand_u64(r) * n;
    }
    return (uint64_t)(m >> 64);
}
#endif

static void
test_rand_below_reference(void)
{
#ifdef __SIZEOF_INT128__
    SimRand a, b, g;

    sim_rand_seed(&a, 77);
    sim_rand_seed(&b, 77);
    sim_rand_seed(&g, 78);
    for (int i = 0; i < 100000; i++) {
        /* n of every magnitude, including ones with a large 2^64 mod n so
         * that rejection actually happens. */
        uint64_t n = sim_rand_u64(&g) >> sim_rand_below(&g, 64);
        if (n == 0)
            n = 1;
        g_assert_cmpuint(sim_rand_below(&a, n), ==, ref_below(&b, n));
    }
    g_assert_cmphex(sim_rand_u64(&a), ==, sim_rand_u64(&b));
#else
    g_test_skip("no 128-bit integer type");
#endif
}

static void
test_rand_range_extremes(void)
{
    SimRand r;
    int neg = 0, pos = 0, seen_lo = 0, seen_hi = 0;
    int small[7] = { 0 };

    sim_rand_seed(&r, 4242);
    /* Degenerate ranges. */
    g_assert_cmpint(sim_rand_range(&r, INT64_MIN, INT64_MIN), ==, INT64_MIN);
    g_assert_cmpint(sim_rand_range(&r, INT64_MAX, INT64_MAX), ==, INT64_MAX);
    g_assert_cmpint(sim_rand_range(&r, 0, 0), ==, 0);
    g_assert_cmpint(sim_rand_range(&r, -1, -1), ==, -1);

    /* The full int64 range: both signs, no overflow (UBSan watches). */
    for (int i = 0; i < 10000; i++) {
        int64_t v = sim_rand_range(&r, INT64_MIN, INT64_MAX);
        neg += v < 0;
        pos += v >= 0;
    }
    g_assert_cmpint(neg, >, 4500);
    g_assert_cmpint(pos, >, 4500);

    /* Half ranges stay on their side. */
    for (int i = 0; i < 10000; i++) {
        g_assert_cmpint(sim_rand_range(&r, INT64_MIN, -1), <, 0);
        g_assert_cmpint(sim_rand_range(&r, 0, INT64_MAX), >=, 0);
        g_assert_cmpint(sim_rand_range(&r, INT64_MIN + 1, INT64_MAX), >, INT64_MIN);
        g_assert_cmpint(sim_rand_range(&r, INT64_MIN, INT64_MAX - 1), <, INT64_MAX);
    }

    /* Two-value ranges at both ends: both ends are reached. */
    for (int i = 0; i < 1000; i++) {
        int64_t v = sim_rand_range(&r, INT64_MAX - 1, INT64_MAX);
        int64_t w = sim_rand_range(&r, INT64_MIN, INT64_MIN + 1);
        g_assert_true(v == INT64_MAX - 1 || v == INT64_MAX);
        g_assert_true(w == INT64_MIN || w == INT64_MIN + 1);
        seen_hi += v == INT64_MAX;
        seen_lo += w == INT64_MIN;
    }
    g_assert_cmpint(seen_hi, >, 400);
    g_assert_cmpint(seen_hi, <, 600);
    g_assert_cmpint(seen_lo, >, 400);
    g_assert_cmpint(seen_lo, <, 600);

    /* A small signed range is inclusive at both ends and roughly even. */
    for (int i = 0; i < 70000; i++) {
        int64_t v = sim_rand_range(&r, -3, 3);
        g_assert_cmpint(v, >=, -3);
        g_assert_cmpint(v, <=, 3);
        small[v + 3]++;
    }
    for (int v = 0; v < 7; v++) {
        g_assert_cmpint(small[v], >, 9000);
        g_assert_cmpint(small[v], <, 11000);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/sim/queue/differential", test_queue_differential);
    g_test_add_func("/sim/queue/fifo", test_queue_fifo);
    g_test_add_func("/sim/queue/peek", test_queue_peek);
    g_test_add_func("/sim/queue/pending", test_queue_pending);
    g_test_add_func("/sim/queue/bogus-handles", test_queue_bogus_handles);
    g_test_add_func("/sim/queue/cancel", test_queue_cancel);
    g_test_add_func("/sim/queue/extreme-times", test_queue_extreme_times);
    g_test_add_func("/sim/queue/slot-reuse", test_queue_slot_reuse);
    g_test_add_func("/sim/rand/known-answer", test_rand_known_answer);
    g_test_add_func("/sim/rand/reference", test_rand_reference);
    g_test_add_func("/sim/rand/same-seed", test_rand_same_seed);
    g_test_add_func("/sim/rand/below-range", test_rand_below_range);
    g_test_add_func("/sim/rand/below-uniform", test_rand_below_uniform);
    g_test_add_func("/sim/rand/below-unbiased", test_rand_below_unbiased);
    g_test_add_func("/sim/rand/below-reference", test_rand_below_reference);
    g_test_add_func("/sim/rand/range-extremes", test_rand_range_extremes);

    return g_test_run();
}
