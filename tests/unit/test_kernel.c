/*
 * test_kernel.c - unit tests of the kernel model (src/ke) in C, without Lua
 * or SQLite, in the manner of ReactOS kmtests: thread bodies and routines
 * are small scripts run by the fake runner of kfake.h, and every test checks
 * state at the moments that matter (IRQL, KernelApcDisable, signal states,
 * owners, thread states, priorities) and the transitions the fake trace sink
 * received (context switches, priorities, software interrupts, unwaits).
 *
 * Test names carry the SEMANTICS.md rule they check (R1, W1, K5 ...).
 * Expected values are derived from SEMANTICS.md, not from the code: a test
 * that fails is a disagreement between the model and the contract.
 *
 *   dispatcher   K1: selection against a brute-force scan over tens of
 *                thousands of random ready-queue configurations, built with
 *                the dispatcher's own functions; K1/K5 invariants inside
 *                random runs; K6 round-robin and quantum charges; K5
 *                preemption and the head of the queue for the preempted
 *                (or displaced standby) thread; K4 boosts and their decay
 *   irql         R1-R3: software-interrupt latches, order of servicing,
 *                IRQL bugchecks
 *   wait         W1-W8, K3, K3b, R8: events, semaphores, mutants, KMUTEX,
 *                timeouts, and the bugchecks of illegal waits
 *   determinism  the kernel alone replays a seeded multi-CPU workload row
 *                for row
 *
 * Assertions are non-fatal (g_test_set_nonfatal_assertions) so that one
 * failing check reports every disagreement of its run and the other tests
 * still run; no code after a check depends on the check passing.
 */
#include <glib.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "ke/ke.h"
#include "kfake.h"

#define TICK ((sim_time_t)15625000)         /* default clock tick, 15.625 ms */

/* NTSTATUS values as the fake logs an integer result (int32, sign kept). */
#define LOG_MUTANT_NOT_OWNED "-1073741754"          /* 0xC0000046 */
#define LOG_SEMAPHORE_LIMIT_EXCEEDED "-1073741753"  /* 0xC0000047 */

/* ---- helpers ---------------------------------------------------------------- */

/* Fail the current test with a message that shows in the TAP output. */
static void test_fail(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static void
test_fail(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_test_message("FAIL: %s", msg);
    g_test_fail_printf("%s", msg);
    g_free(msg);
}

static KFake *
fake_new_cfg(const KCONFIG *cfg)
{
    KFake *fk = kfake_new();

    kfake_machine(fk, cfg);
    return fk;
}

static KFake *
fake_new(int cpus)
{
    KCONFIG cfg;

    ke_config_default(&cfg);
    cfg.cpus = cpus;
    return fake_new_cfg(&cfg);
}

/* Run to the end and check how it ended. */
static void
run_expect(KFake *fk, KSTOP_REASON want)
{
    KSTOP_REASON got = kfake_run(fk);

    KMACHINE *m = kfake_m(fk);

    if (got != want)
        test_fail("run stopped with \"%s\" (%s), expected \"%s\"", ke_stop_reason_name(got),
                           m->stop_message ? m->stop_message : m->bugchecked ? m->bugcheck.name : "-",
                           ke_stop_reason_name(want));
    if (g_test_failed() && g_test_verbose())
        kfake_dump(fk, stderr);
}

static void
assert_switches(KFake *fk, const char *expected)
{
    g_autofree char *s = kfake_switches(fk);

    g_assert_cmpstr(s, ==, expected);
}

static void
assert_rows(KFake *fk, int kind, const KTHREAD *t, const char *expected)
{
    g_autofree char *s = kfake_rows_text(fk, kind, t ? t->id : -1);

    g_assert_cmpstr(s, ==, expected);
}

/* Names of the threads of the rows of one kind, in row order. */
static char *
rows_threads(KFake *fk, int kind)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < kfake_nrows(fk); i++) {
        const KfRow *r = kfake_row(fk, i);
        if (r->kind != kind)
            continue;
        if (s->len)
            g_string_append_c(s, ' ');
        g_string_append(s, kfake_name(fk, r->thread));
    }
    return g_string_free(s, FALSE);
}

/* Number of THREAD_STATE rows of t into state `to`. */
static int
count_state_rows(KFake *fk, const KTHREAD *t, int to)
{
    int n = 0;

    for (guint i = 0; i < kfake_nrows(fk); i++) {
        const KfRow *r = kfake_row(fk, i);
        n += r->kind == TR_THREAD_STATE && r->thread == t->id && r->b == to;
    }
    return n;
}

static void
check_eq(KMACHINE *m, KTHREAD *t, const char *what, int64_t got, int64_t want)
{
    if (got != want)
        test_fail("t=%" PRId64 " on %s: %s is %" PRId64 ", expected %" PRId64, m->now, t->header.name, what,
                           got, want);
}

/* KF_CHECK callbacks. Their data lives in the test function's frame, which
 * outlives the run. */

typedef struct SignalIs {
    const void *obj;                /* a dispatcher object (header first) */
    int32_t value;
} SignalIs;

static void
check_signal(KFake *fk, KMACHINE *m, KTHREAD *t, void *data)
{
    const SignalIs *s = data;
    const DISPATCHER_HEADER *h = s->obj;
    g_autofree char *what = g_strdup_printf("signal state of %s", h->name);

    (void)fk;
    check_eq(m, t, what, h->signal_state, s->value);
}

typedef struct StateIs {
    KTHREAD *thread;
    KTHREAD_STATE state;
} StateIs;

static void
check_state(KFake *fk, KMACHINE *m, KTHREAD *t, void *data)
{
    const StateIs *s = data;
    g_autofree char *what = g_strdup_printf("state of %s", s->thread->header.name);

    (void)fk;
    check_eq(m, t, what, s->thread->state, s->state);
}

typedef struct OwnerIs {
    KMUTANT *mu;
    KTHREAD *owner;                 /* NULL: free */
    int32_t signal;
    bool abandoned;
} OwnerIs;

static void
check_owner(KFake *fk, KMACHINE *m, KTHREAD *t, void *data)
{
    const OwnerIs *o = data;

    (void)fk;
    check_eq(m, t, "mutant owner id", o->mu->owner ? o->mu->owner->id : -1, o->owner ? o->owner->id : -1);
    check_eq(m, t, "mutant signal state", o->mu->header.signal_state, o->signal);
    check_eq(m, t, "mutant abandoned", o->mu->abandoned, o->abandoned);
}

/* data = GINT_TO_POINTER(expected priority of the running thread). */
static void
check_priority(KFake *fk, KMACHINE *m, KTHREAD *t, void *data)
{
    (void)fk;
    check_eq(m, t, "priority", t->priority, GPOINTER_TO_INT(data));
}

/* ---- K1: the dispatcher's choice against brute force ------------------------ */

/* Ready-queue invariants (K1): the summary bitmap is exactly the set of
 * non-empty queues; a queued thread is Ready, has the queue's priority, is
 * queued on one CPU of its affinity; the number of queued threads is the
 * number of Ready threads; each CPU's current thread is Running there.
 * Returns false (after failing the test) on the first violation. */
static bool
check_ready_queues(KMACHINE *m, const char *where)
{
    int queued = 0, ready = 0;

    for (int i = 0; i < m->ncpus; i++) {
        KPRCB *c = &m->cpu[i];
        for (int p = 0; p < KE_MAXIMUM_PRIORITY; p++) {
            bool bit = (c->ready_summary >> p) & 1;
            if (bit != !g_queue_is_empty(&c->ready[p])) {
                test_fail("%s: cpu %d summary bit %d is %d but the queue has %u threads", where, i, p, bit,
                          c->ready[p].length);
                return false;
            }
            for (GList *l = c->ready[p].head; l; l = l->next) {
                KTHREAD *t = l->data;
                queued++;
                if (t->priority != p || t->state != Ready || t->ready_cpu != i || !((t->affinity >> i) & 1)) {
                    test_fail("%s: %s in cpu %d queue %d has priority %d state %s ready_cpu %d "
                              "affinity 0x%" PRIx64,
                              where, t->header.name, i, p, t->priority, nt_state_name(t->state), t->ready_cpu,
                              t->affinity);
                    return false;
                }
            }
        }
        if (c->current->state != Running || c->current->cpu != i) {
            test_fail("%s: cpu %d current %s is %s on cpu %d", where, i, c->current->header.name,
                      nt_state_name(c->current->state), c->current->cpu);
            return false;
        }
    }
    for (guint k = 0; k < m->threads->len; k++) {
        KTHREAD *t = m->threads->pdata[k];
        if (t->idle)
            continue;
        ready += t->state == Ready;
        if ((t->state == Ready) != (t->ready_cpu >= 0)) {
            test_fail("%s: %s is %s with ready_cpu %d", where, t->header.name, nt_state_name(t->state),
                      t->ready_cpu);
            return false;
        }
    }
    if (queued != ready) {
        test_fail("%s: %d threads queued, %d threads Ready", where, queued, ready);
        return false;
    }
    return true;
}

/* Standby invariants (K1, K5): a CPU's NextThread is in the Standby state
 * for that CPU, and a Standby thread is some CPU's NextThread - a thread in
 * Standby that no CPU will switch to is lost for ever. Returns false (after
 * failing the test) on the first violation. */
static bool
check_standby(KMACHINE *m, const char *where)
{
    for (int i = 0; i < m->ncpus; i++) {
        KTHREAD *n = m->cpu[i].next;
        if (n && (n->state != Standby || n->standby_cpu != i)) {
            test_fail("%s: cpu %d standby %s is %s (standby_cpu %d)", where, i, n->header.name,
                      nt_state_name(n->state), n->standby_cpu);
            return false;
        }
    }
    for (guint k = 0; k < m->threads->len; k++) {
        KTHREAD *t = m->threads->pdata[k];
        if (t->idle)
            continue;
        if ((t->state == Standby) != (t->standby_cpu >= 0) ||
            (t->state == Standby && m->cpu[t->standby_cpu].next != t) ||
            (t->state == Running && m->cpu[t->cpu].current != t)) {
            test_fail("%s: %s is %s with standby_cpu %d (that CPU's standby: %s), cpu %d", where, t->header.name,
                      nt_state_name(t->state), t->standby_cpu,
                      t->standby_cpu >= 0 && m->cpu[t->standby_cpu].next
                          ? m->cpu[t->standby_cpu].next->header.name : "none",
                      t->cpu);
            return false;
        }
    }
    return true;
}

/* ki_select_ready_thread == ki_select_ready_thread_naive for every CPU and
 * every minimum priority 0..32. Returns the number of comparisons, or -1
 * after failing the test on the first difference. */
static int
compare_selection(KMACHINE *m, const char *where)
{
    int n = 0;

    for (int i = 0; i < m->ncpus; i++) {
        for (int min = 0; min <= KE_MAXIMUM_PRIORITY; min++) {
            KTHREAD *fast = ki_select_ready_thread(m, &m->cpu[i], min);
            KTHREAD *naive = ki_select_ready_thread_naive(m, &m->cpu[i], min);
            n++;
            if (fast != naive) {
                test_fail("%s: cpu %d of %d, min priority %d: ki_select_ready_thread chose %s, "
                                   "brute force %s",
                                   where, i, m->ncpus, min, fast ? fast->header.name : "none",
                                   naive ? naive->header.name : "none");
                return -1;
            }
        }
    }
    return n;
}

/* What the DISPATCH interrupt does at a switch point (dpc.c DI_SWITCH):
 * the standby thread, else the best ready thread of at least the current
 * priority, replaces the current one, which is readied again. */
static void
dispatch_by_hand(KMACHINE *m, KPRCB *c)
{
    KTHREAD *old = c->current;
    KTHREAD *next = c->next ? c->next : ki_select_ready_thread(m, c, old->idle ? 0 : old->priority);

    if (!next)
        return;
    ki_swap_to(m, c, next, DISPATCH_LEVEL);
    if (!old->idle)
        ki_ready_thread(m, old);
}

static KTHREAD *
random_thread(SimRand *r, GPtrArray *threads, int state)
{
    guint n = 0;

    for (guint i = 0; i < threads->len; i++)
        n += ((KTHREAD *)threads->pdata[i])->state == state || state < 0;
    if (n == 0)
        return NULL;
    uint64_t k = sim_rand_below(r, n);
    for (guint i = 0; i < threads->len; i++) {
        KTHREAD *t = threads->pdata[i];
        if ((t->state == state || state < 0) && k-- == 0)
            return t;
    }
    return NULL;
}

static uint64_t
random_affinity(SimRand *r, int ncpus)
{
    uint64_t all = ((uint64_t)1 << ncpus) - 1;

    if (sim_rand_below(r, 3) == 0)
        return 0;           /* every CPU */
    uint64_t a;
    do
        a = sim_rand_u64(r) & all;
    while (a == 0);
    return a;
}

/*
 * K1 differential (STYLE.md habit 11). Each configuration is a machine of
 * 1..8 CPUs whose ready queues are filled by the dispatcher itself, one
 * random operation at a time: ready a new thread (KiReadyThread: idle CPU,
 * preemption of a standby, or a queue), change a priority
 * (KeSetPriorityThread), dispatch a CPU (switch to standby / best ready and
 * re-ready the old thread), block a CPU's current thread, unwait a blocked
 * thread with a random boost (KiUnwaitThread's readying half). After every
 * operation the queue invariants hold and the fast selection equals the
 * brute-force scan for every CPU and every minimum priority.
 */
static void
test_select_vs_bruteforce(void)
{
    static const KfStep nothing[] = { KF_RETURN(0) };
    SimRand r;
    long configurations = 0, comparisons = 0;
    bool ok = true, standby_ok = true;

    sim_rand_seed(&r, 0x4b31);
    for (int iter = 0; iter < 1500 && ok; iter++) {
        int ncpus = 1 + (int)sim_rand_below(&r, 8);
        KFake *fk = fake_new(ncpus);
        KMACHINE *m = kfake_m(fk);
        KCODE body = KF_SCRIPT(fk, "nothing", nothing);
        GPtrArray *threads = g_ptr_array_new();
        int nops = 10 + (int)sim_rand_below(&r, 50);

        for (int op = 0; op < nops && ok; op++) {
            unsigned k = (unsigned)sim_rand_below(&r, 10);
            KPRCB *c = &m->cpu[sim_rand_below(&r, (uint64_t)ncpus)];
            KTHREAD *t;
            const char *what;
            if (k <= 3 || threads->len == 0) {
                char name[16];
                snprintf(name, sizeof name, "T%u", threads->len);
                t = kfake_thread(fk, name, 1 + (int)sim_rand_below(&r, 31), random_affinity(&r, ncpus),
                                 KF_MS(1000), body);
                g_ptr_array_add(threads, t);
                ki_ready_thread(m, t);
                what = "ready a new thread";
            } else if (k == 4) {
                t = threads->pdata[sim_rand_below(&r, threads->len)];
                KeSetPriorityThread(m, t, 1 + (int)sim_rand_below(&r, 31));
                what = "KeSetPriorityThread";
            } else if (k <= 6) {
                dispatch_by_hand(m, c);
                what = "dispatch";
            } else if (k == 7) {
                what = "block";
                if (!c->current->idle) {
                    ki_set_state(m, c->current, Waiting);
                    ki_switch_out_current(m, c);
                }
            } else {
                what = "unwait";
                t = random_thread(&r, threads, Waiting);
                if (t)
                    ki_ready_after_wait(m, t, (int)sim_rand_below(&r, 4));
            }
            g_autofree char *where = g_strdup_printf("configuration %d op %d (%s)", iter, op, what);
            if (standby_ok)
                standby_ok = check_standby(m, where);
            ok = check_ready_queues(m, where);
            int n = ok ? compare_selection(m, where) : 0;
            ok = ok && n >= 0;
            comparisons += n;
            configurations++;
        }
        g_ptr_array_free(threads, TRUE);
        kfake_free(fk);
    }
    g_assert_true(ok);
    g_assert_true(standby_ok);
    g_assert_cmpint(configurations, >, 20000);
    g_test_message("%ld configurations, %ld comparisons", configurations, comparisons);
}

/* ---- R1-R3: IRQL and software interrupts ------------------------------------ */

/* data != NULL: a DISPATCH request must be latched too. */
static void
check_apc_latched(KFake *fk, KMACHINE *m, KTHREAD *t, void *data)
{
    KPRCB *c = m->running_cpu;

    check_eq(m, t, "APC request latched", (c->swint & SWINT_APC) != 0, 1);
    check_eq(m, t, "DISPATCH request latched", (c->swint & SWINT_DISPATCH) != 0, data != NULL);
    check_eq(m, t, "KernelApcPending", t->apc_state.kernel_apc_pending, 1);
    check_eq(m, t, "kernel routine not run yet", strstr(kfake_log(fk), ":kr@") == NULL, 1);
}

/*
 * R1/R3: an APC request latched at APC_LEVEL stays latched while the CPU
 * computes at APC_LEVEL and at DISPATCH_LEVEL; lowering from DISPATCH_LEVEL
 * to PASSIVE_LEVEL then services the DISPATCH request (the DPC) before the
 * APC request (the special kernel APC's KernelRoutine), both before the
 * KeLowerIrql caller's next statement.
 */
static void
test_irql_apc_latched_until_passive(void)
{
    KFake *fk = fake_new(1);
    static const KfStep kr_steps[] = { KF_RECORD("kr"), KF_EXPECT(APC_LEVEL, 0, 0) };
    static const KfStep dpc_steps[] = { KF_RECORD("dpc"), KF_EXPECT(DISPATCH_LEVEL, 0, 0) };
    KCODE none = { 0, 0 };
    KCODE body = kfake_code_new(fk, "A");
    KTHREAD *a = kfake_thread(fk, "A", 8, 0, 0, body);
    KAPC *sk = kfake_apc(fk, a, KernelMode, "sk", KF_SCRIPT(fk, "kr", kr_steps), none, none);
    KDPC *d = kfake_dpc(fk, "d", KF_SCRIPT(fk, "dpc", dpc_steps));
    const KfStep steps[] = {
        KF_EXPECT(PASSIVE_LEVEL, 0, 0),
        KF_RAISE_IRQL(APC_LEVEL),
        KF_INSERT_APC(sk, 0),
        KF_CHECK(check_apc_latched, NULL),
        KF_COMPUTE(100),
        KF_CHECK(check_apc_latched, NULL),
        KF_RECORD("apc-level"),
        KF_RAISE_IRQL(DISPATCH_LEVEL),
        KF_INSERT_DPC(d, 0),
        KF_COMPUTE(100),
        KF_CHECK(check_apc_latched, d),
        KF_RECORD("dispatch-level"),
        KF_LOWER_IRQL(PASSIVE_LEVEL),
        KF_RECORD("passive"),
        KF_EXPECT(PASSIVE_LEVEL, 0, 0),
    };

    KF_SET(fk, body, steps);
    run_expect(fk, StopAllTerminated);
    g_assert_cmpstr(kfake_log(fk), ==, "A:apc-level@100 A:dispatch-level@200 A:dpc@200 A:kr@200 A:passive@200");
    /* The interrupts taken on A: DISPATCH first, then APC, both at 200. */
    assert_rows(fk, TR_SWINT_DISPATCH, a, "200:2,0,0 200:1,0,0");
    g_assert_false(a->apc_state.kernel_apc_pending);
    kfake_free(fk);
}

/*
 * R1: lowering from DISPATCH_LEVEL to APC_LEVEL services the DPC only; the
 * APC request fires when the IRQL then drops to PASSIVE_LEVEL.
 */
static void
test_irql_lower_in_two_steps(void)
{
    KFake *fk = fake_new(1);
    static const KfStep kr_steps[] = { KF_RECORD("kr"), KF_EXPECT(APC_LEVEL, 0, 0) };
    static const KfStep dpc_steps[] = { KF_RECORD("dpc") };
    KCODE none = { 0, 0 };
    KCODE body = kfake_code_new(fk, "A");
    KTHREAD *a = kfake_thread(fk, "A", 8, 0, 0, body);
    KAPC *sk = kfake_apc(fk, a, KernelMode, "sk", KF_SCRIPT(fk, "kr", kr_steps), none, none);
    KDPC *d = kfake_dpc(fk, "d", KF_SCRIPT(fk, "dpc", dpc_steps));
    const KfStep steps[] = {
        KF_RAISE_IRQL(DISPATCH_LEVEL),
        KF_INSERT_APC(sk, 0),
        KF_INSERT_DPC(d, 0),
        KF_RECORD("dispatch-level"),
        KF_LOWER_IRQL(APC_LEVEL),
        KF_RECORD("apc-level"),
        KF_EXPECT(APC_LEVEL, 0, 0),
        KF_COMPUTE(50),
        KF_LOWER_IRQL(PASSIVE_LEVEL),
        KF_RECORD("passive"),
    };

    KF_SET(fk, body, steps);
    run_expect(fk, StopAllTerminated);
    g_assert_cmpstr(kfake_log(fk), ==, "A:dispatch-level@0 A:dpc@0 A:apc-level@0 A:kr@50 A:passive@50");
    kfake_free(fk);
}

/* data = the thread whose KernelApcPending must still be set. */
static void
check_kap_still_set(KFake *fk, KMACHINE *m, KTHREAD *t, void *data)
{
    KTHREAD *other = data;

    (void)fk;
    check_eq(m, t, "other thread's KernelApcPending", other->apc_state.kernel_apc_pending, 1);
    check_eq(m, t, "APC request latched", (m->running_cpu->swint & SWINT_APC) != 0, 0);
}

/*
 * R2/K2: the APC request is a per-CPU latch. A queues a special kernel APC
 * to itself at APC_LEVEL and blocks there; the latch fires in the context
 * of B, the next thread to reach PASSIVE_LEVEL on that CPU, which finds
 * nothing of its own. A keeps KAP = TRUE, gets a new request when it is
 * switched back in (it was switched out at APC_LEVEL), resumes at its
 * WaitIrql (R3) and runs its KernelRoutine when it lowers to PASSIVE_LEVEL.
 */
static void
test_irql_apc_latch_is_per_cpu(void)
{
    KFake *fk = fake_new(1);
    KMACHINE *m = kfake_m(fk);
    static const KfStep kr_steps[] = { KF_RECORD("kr"), KF_EXPECT(APC_LEVEL, 0, 0) };
    KCODE none = { 0, 0 };
    KEVENT *e = ke_event_create(m, "E", true, false);
    KCODE body_a = kfake_code_new(fk, "A");
    KCODE body_b = kfake_code_new(fk, "B");
    KTHREAD *a = kfake_thread(fk, "A", 8, 0, 0, body_a);
    KTHREAD *b = kfake_thread(fk, "B", 8, 0, 0, body_b);
    KAPC *sk = kfake_apc(fk, a, KernelMode, "sk", KF_SCRIPT(fk, "kr", kr_steps), none, none);
    const KfStep steps_a[] = {
        KF_RAISE_IRQL(APC_LEVEL),
        KF_INSERT_APC(sk, 0),
        KF_WAIT(e, KF_INFINITE, "w"),
        KF_RECORD("woke"),
        KF_EXPECT(APC_LEVEL, 0, 0),
        KF_LOWER_IRQL(PASSIVE_LEVEL),
        KF_RECORD("passive"),
    };
    const KfStep steps_b[] = {
        KF_RECORD("b"),
        KF_CHECK(check_kap_still_set, a),
        KF_SET_EVENT(e, 0),
        KF_RECORD("b-set"),
    };

    KF_SET(fk, body_a, steps_a);
    KF_SET(fk, body_b, steps_b);
    run_expect(fk, StopAllTerminated);
    g_assert_cmpstr(kfake_log(fk), ==, "B:b@0 B:b-set@0 A:w=WAIT_0@0 A:woke@0 A:kr@0 A:passive@0");
    /* The APC interrupt taken by B (nothing to deliver), then A's own. */
    g_autofree char *who = NULL;
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < kfake_nrows(fk); i++) {
        const KfRow *r = kfake_row(fk, i);
        if (r->kind == TR_SWINT_DISPATCH && r->a == APC_LEVEL)
            g_string_append_printf(s, "%s%s", s->len ? " " : "", kfake_name(fk, r->thread));
    }
    who = g_string_free(s, FALSE);
    g_assert_cmpstr(who, ==, "B A");
    g_assert_cmpint(b->state, ==, Terminated);
    kfake_free(fk);
}

/*
 * The issue-4 bugchecks carry their NT codes. Expected values are copied from
 * Debian's mingw-w64-common (include/bugcodes.h) and agree with JEDI's
 * jwabugcodes.pas (fp-units-win): THREAD_TERMINATE_HELD_MUTEX is 0x4000008A.
 */
static void
test_bugcheck_codes_are_nt_codes(void)
{
    static const struct { const char *name; uint32_t code; } nt[] = {
        { "APC_INDEX_MISMATCH", 0x00000001 },
        { "INVALID_PROCESS_ATTACH_ATTEMPT", 0x00000005 },
        { "INVALID_PROCESS_DETACH_ATTEMPT", 0x00000006 },
        { "IRQL_NOT_LESS_OR_EQUAL", 0x0000000A },
        { "KERNEL_APC_PENDING_DURING_EXIT", 0x00000020 },
        { "IRQL_GT_ZERO_AT_SYSTEM_SERVICE", 0x0000004A },
        { "ATTEMPTED_SWITCH_FROM_DPC", 0x000000B8 },
        { "MUTEX_ALREADY_OWNED", 0x000000BF },
        { "IRQL_UNEXPECTED_VALUE", 0x000000C8 },
        { "THREAD_TERMINATE_HELD_MUTEX", 0x4000008A },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(nt); i++) {
        uint32_t code = 0;
        g_assert_true(ke_bugcheck_code_from_name(nt[i].name, &code));
        g_assert_cmphex(code, ==, nt[i].code);
        g_assert_cmpstr(ke_bugcheck_name(nt[i].code), ==, nt[i].name);
    }
}

static void
test_irql_lower_to_higher_bugchecks(void)
{
    KFake *fk = fake_new(1);
    KMACHINE *m = kfake_m(fk);
    const KfStep steps[] = {
        KF_RAISE_IRQL(APC_LEVEL),
        KF_RECORD("apc"),
        KF_LOWER_IRQL(DISPATCH_LEVEL),
        KF_RECORD("never"),
    };

    KTHREAD *a = kfake_thread(fk, "A", 8, 0, 0, KF_SCRIPT(fk, "A", steps));
    run_expect(fk, StopBugcheck);
    g_assert_true(m->bugchecked);
    g_assert_cmphex(m->bugcheck.code, ==, BUGCODE_IRQL_NOT_LESS_OR_EQUAL);
    g_assert_cmpstr(m->bugcheck.name, ==, "IRQL_NOT_LESS_OR_EQUAL");
    g_assert_cmpuint(m->bugcheck.p[1], ==, APC_LEVEL);
    g_assert_cmpuint(m->bugcheck.p[2], ==, DISPATCH_LEVEL);
    g_assert_cmpint(m->bugcheck.thread, ==, a->id);
    g_assert_cmpint(m->cpu[0].irql, ==, APC_LEVEL);     /* unchanged by the refused call */
    g_assert_cmpstr(kfake_log(fk), ==, "A:apc@0");
    g_assert_cmpuint(kfake_count(fk, TR_BUGCHECK), ==, 1);
    kfake_free(fk);
}

static void
test_irql_raise_to_lower_bugchecks(void)
{
    KFake *fk = fake_new(1);
    KMACHINE *m = kfake_m(fk);
    const KfStep steps[] = {
        KF_RAISE_IRQL(DISPATCH_LEVEL),
        KF_RECORD("dispatch"),
        KF_RAISE_IRQL(APC_LEVEL),
        KF_RECORD("never"),
    };

    kfake_thread(fk, "A", 8, 0, 0, KF_SCRIPT(fk, "A", steps));
    run_expect(fk, StopBugcheck);
    g_assert_true(m->bugchecked);
    g_assert_cmphex(m->bugcheck.code, ==, 0x9);
    g_assert_cmpstr(m->bugcheck.name, ==, "IRQL_NOT_GREATER_OR_EQUAL");
    g_assert_cmpuint(m->bugcheck.p[0], ==, DISPATCH_LEVEL);
    g_assert_cmpuint(m->bugcheck.p[1], ==, APC_LEVEL);
    g_assert_cmpint(m->cpu[0].irql, ==, DISPATCH_LEVEL);
    g_assert_cmpstr(kfake_log(fk), ==, "A:dispatch@0");
    kfake_free(fk);
}

/* ---- W1-W8: waits ------------------------------------------------------------- */

/*
 * W1.2: WaitAny returns the index of the first satisfiable object and
 * consumes only that one (a synchronization event resets, a notification
 * event stays signaled); a blocked WaitAny returns the index of the object
 * that was signaled (W3) and leaves the others alone.
 */
static void
test_wait_any_first_satisfiable(void)
{
    KFake *fk = fake_new(1);
    KMACHINE *m = kfake_m(fk);
    KEVENT *e0 = ke_event_create(m, "e0", false, false);
    KEVENT *e1 = ke_event_create(m, "e1", false, true);
    KEVENT *e2 = ke_event_create(m, "e2", true, true);
    SignalIs e1_0 = { e1, 0 }, e2_1 = { e2, 1 }, e0_0 = { e0, 0 };
    const KfStep steps_a[] = {
        KF_WAIT_MULTI(WaitAny, KF_INFINITE, "w1", KF_OBJ(e0), KF_OBJ(e1), KF_OBJ(e2)),
        KF_CHECK(check_signal, &e1_0),
        KF_CHECK(check_signal, &e2_1),
        KF_WAIT_MULTI(WaitAny, KF_INFINITE, "w2", KF_OBJ(e0), KF_OBJ(e1), KF_OBJ(e2)),
        KF_CHECK(check_signal, &e2_1),
        KF_WAIT_MULTI(WaitAny, KF_INFINITE, "w3", KF_OBJ(e0), KF_OBJ(e1)),
        KF_CHECK(check_signal, &e1_0),
        KF_CHECK(check_signal, &e0_0),
    };
    const KfStep steps_b[] = {
        KF_COMPUTE(100),
        KF_SET_EVENT(e1, 0),
    };

    kfake_thread(fk, "A", 8, 0, 0, KF_SCRIPT(fk, "A", steps_a));
    kfake_thread(fk, "B", 8, 0, 0, KF_SCRIPT(fk, "B", steps_b));
    run_expect(fk, StopAllTerminated);
    g_assert_cmpstr(kfake_log(fk), ==, "A:w1=WAIT_1@0 A:w2=WAIT_2@0 A:w3=WAIT_1@100");
    kfake_free(fk);
}

/*
 * W1.2/W5: WaitAll is satisfied only when every object is; signaling one of
 * them re-evaluates the waiter without consuming anything; when the last
 * one is signaled all are consumed and the status is STATUS_WAIT_0.
 */
static void
test_wait_all(void)
{
    KFake *fk = fake_new(1);
    KMACHINE *m = kfake_m(fk);
    KEVENT *e = ke_event_create(m, "e", false, false);
    KSEMAPHORE *s = ke_semaphore_create(m, "s", 0, 5);
    KCODE body_a = kfake_code_new(fk, "A");
    KTHREAD *a = kfake_thread(fk, "A", 8, 0, 0, body_a);
    SignalIs e_1 = { e, 1 }, e_0 = { e, 0 }, s_0 = { s, 0 };
    StateIs a_waiting = { a, Waiting };
    const KfStep steps_a[] = {
        KF_WAIT_MULTI(WaitAll, KF_INFINITE, "w", KF_OBJ(e), KF_OBJ(s)),
        KF_CHECK(check_signal, &e_0),
        KF_CHECK(check_signal, &s_0),
    };
    const KfStep steps_b[] = {
        KF_COMPUTE(100),
        KF_SET_EVENT(e, 0),
        KF_DELAY(50, NULL),                 /* let A re-evaluate */
        KF_CHECK(check_state, &a_waiting),
        KF_CHECK(check_signal, &e_1),       /* not consumed: not all signaled */
        KF_RECORD("release"),
        KF_RELEASE_SEMAPHORE(s, 0, 1, NULL),
    };

    KF_SET(fk, body_a, steps_a);
    kfake_thread(fk, "B", 8, 0, 0, KF_SCRIPT(fk, "B", steps_b));
    run_expect(fk, StopAllTerminated);
    g_assert_cmpstr(kfake_log(fk), ==, "B:release@150 A:w=WAIT_0@150");
    g_assert_cmpint(e->header.signal_state, ==, 0);
    g_assert_cmpint(s->header.signal_state, ==, 0);
    kfake_free(fk);
}

/*
 * K3/W1.2: setting a synchronization event with three waiters wakes exactly
 * one, the first waiter, and the event is reset by that wake; the others
 * stay Waiting until the next sets.
 */
static void
test_wait_sync_event_wakes_one(void)
{
    KFake *fk = fake_new(1);
    KMACHINE *m = kfake_m(fk);
    KEVENT *e = ke_event_create(m, "E", false, false);
    const KfStep steps_w[] = { KF_WAIT(e, KF_INFINITE, "w") };
    KCODE wcode = KF_SCRIPT(fk, "W", steps_w);
    KTHREAD *w1 = kfake_thread(fk, "W1", 8, 0, 0, wcode);
    KTHREAD *w2 = kfake_thread(fk, "W2", 8, 0, 0, wcode);
    KTHREAD *w3 = kfake_thread(fk, "W3", 8, 0, 0, wcode);
    SignalIs e_0 = { e, 0 };
    StateIs w1_ready = { w1, Ready }, w2_waiting = { w2, Waiting }, w3_waiting = { w3, Waiting };
    const KfStep steps_s[] = {
        KF_COMPUTE(100),
        KF_SET_EVENT(e, 0),
        KF_CHECK(check_signal, &e_0),
        KF_CHECK(check_state, &w1_ready),
        KF_CHECK(check_state, &w2_waiting),
        KF_CHECK(check_state, &w3_waiting),
        KF_DELAY(100, NULL),
        KF_CHECK(check_state, &w3_waiting),
        KF_SET_EVENT(e, 0),
        KF_DELAY(100, NULL),
        KF_SET_EVENT(e, 0),
        KF_CHECK(check_signal, &e_0),
    };

    kfake_thread(fk, "S", 8, 0, 0, KF_SCRIPT(fk, "S", steps_s));
    run_expect(fk, StopAllTerminated);
    g_assert_cmpstr(kfake_log(fk), ==, "W1:w=WAIT_0@100 W2:w=WAIT_0@200 W3:w=WAIT_0@300");
    g_assert_cmpint(e->header.signal_state, ==, 0);
    kfake_free(fk);
}

/*
 * K3b: a notification event wakes every waiter, readied in wait-list order,
 * so at equal priority the first waiter runs first; the event stays
 * signaled. increment 0: nobody preempts the setter. increment 1: the
 * first waiter preempts it (K5) and the others follow in wait order.
 */
static void
notification_case(int increment, const char *expected_log)
{
    KFake *fk = fake_new(1);
    KMACHINE *m = kfake_m(fk);
    KEVENT *n = ke_event_create(m, "N", true, false);
    const KfStep steps_w[] = { KF_WAIT(n, KF_INFINITE, "w") };
    KCODE wcode = KF_SCRIPT(fk, "W", steps_w);
    SignalIs n_1 = { n, 1 };
    const KfStep steps_s[] = {
        KF_COMPUTE(100),
        KF_SET_EVENT(n, increment),
        KF_RECORD("set"),
        KF_CHECK(check_signal, &n_1),
    };

    kfake_thread(fk, "W1", 8, 0, 0, wcode);
    kfake_thread(fk, "W2", 8, 0, 0, wcode);
    kfake_thread(fk, "W3", 8, 0, 0, wcode);
    kfake_thread(fk, "S", 8, 0, 0, KF_SCRIPT(fk, "S", steps_s));
    run_expect(fk, StopAllTerminated);
    g_assert_cmpstr(kfake_log(fk), ==, expected_log);
    g_autofree char *unwaits = rows_threads(fk, TR_UNWAIT);
    g_assert_cmpstr(unwaits, ==, "W1 W2 W3");
    g_assert_cmpint(n->header.signal_state, ==, 1);
    kfake_free(fk);
}

static void
test_wait_notification_wakes_all_in_order(void)
{
    notification_case(0, "S:set@100 W1:w=WAIT_0@100 W2:w=WAIT_0@100 W3:w=WAIT_0@100");
    notification_case(1, "W1:w=WAIT_0@100 W2:w=WAIT_0@100 W3:w=WAIT_0@100 S:set@100");
}

/*
 * Semaphores (W1.2): each satisfied wait takes one unit; a release by n
 * satisfies waiters and leaves the rest; a release beyond the limit fails
 * with STATUS_SEMAPHORE_LIMIT_EXCEEDED and changes nothing.
 */
static void
test_wait_semaphore_counts(void)
{
    KFake *fk = fake_new(1);
    KMACHINE *m = kfake_m(fk);
    KSEMAPHORE *s = ke_semaphore_create(m, "S", 2, 3);
    SignalIs s_0 = { s, 0 }, s_1 = { s, 1 }, s_3 = { s, 3 };
    const KfStep steps_a[] = {
        KF_WAIT(s, KF_INFINITE, "a1"),
        KF_WAIT(s, KF_INFINITE, "a2"),
        KF_CHECK(check_signal, &s_0),
        KF_RECORD("a-done"),
    };
    const KfStep steps_b[] = {
        KF_WAIT(s, KF_INFINITE, "b"),
        KF_RECORD("b-done"),
    };
    const KfStep steps_c[] = {
        KF_DELAY(100, NULL),
        KF_RELEASE_SEMAPHORE(s, 0, 2, "rel"),
        KF_CHECK(check_signal, &s_1),       /* 0 + 2, one taken by B */
        KF_RELEASE_SEMAPHORE(s, 0, 3, "over"),
        KF_CHECK(check_signal, &s_1),
        KF_RELEASE_SEMAPHORE(s, 0, 2, "ok"),
        KF_CHECK(check_signal, &s_3),
    };

    kfake_thread(fk, "A", 8, 0, 0, KF_SCRIPT(fk, "A", steps_a));
    kfake_thread(fk, "B", 8, 0, 0, KF_SCRIPT(fk, "B", steps_b));
    kfake_thread(fk, "C", 8, 0, 0, KF_SCRIPT(fk, "C", steps_c));
    run_expect(fk, StopAllTerminated);
    g_assert_cmpstr(kfake_log(fk), ==,
                    "A:a1=WAIT_0@0 A:a2=WAIT_0@0 A:a-done@0 C:rel=0@100 C:over=" LOG_SEMAPHORE_LIMIT_EXCEEDED
                    "@100 C:ok=1@100 B:b=WAIT_0@100 B:b-done@100");
    kfake_free(fk);
}

/*
 * Mutants (W1.2): the owner may acquire again (recursion; signal state
 * 1 - recursion), each release undoes one acquisition, only the last frees
 * it and satisfies the next waiter; a release by a non-owner fails with
 * STATUS_MUTANT_NOT_OWNED; a plain mutant leaves KernelApcDisable alone.
 */
static void
test_wait_mutant_recursion(void)
{
    KFake *fk = fake_new(1);
    KMACHINE *m = kfake_m(fk);
    KMUTANT *mu = ke_mutant_create(m, "M", false);
    KCODE body_a = kfake_code_new(fk, "A"), body_b = kfake_code_new(fk, "B");
    KTHREAD *a = kfake_thread(fk, "A", 8, 0, 0, body_a);
    KTHREAD *b = kfake_thread(fk, "B", 8, 0, 0, body_b);
    OwnerIs a1 = { mu, a, 0, false }, a2 = { mu, a, -1, false }, bo = { mu, b, 0, false }, none = { mu, NULL, 1, false };
    const KfStep steps_a[] = {
        KF_WAIT(mu, KF_INFINITE, "m1"),
        KF_CHECK(check_owner, &a1),
        KF_WAIT(mu, KF_INFINITE, "m2"),
        KF_CHECK(check_owner, &a2),
        KF_EXPECT(PASSIVE_LEVEL, 0, 0),
        KF_DELAY(1000, NULL),
        KF_RELEASE_MUTANT(mu, "r1"),
        KF_CHECK(check_owner, &a1),
        KF_RELEASE_MUTANT(mu, "r2"),
        KF_RECORD("a-done"),
    };
    const KfStep steps_b[] = {
        KF_WAIT(mu, KF_INFINITE, "b"),
        KF_CHECK(check_owner, &bo),
        KF_EXPECT(PASSIVE_LEVEL, 0, 0),
        KF_RELEASE_MUTANT(mu, "br"),
        KF_CHECK(check_owner, &none),
    };
    const KfStep steps_c[] = {
        KF_RELEASE_MUTANT(mu, "bad"),
        KF_CHECK(check_owner, &a2),
    };

    KF_SET(fk, body_a, steps_a);
    KF_SET(fk, body_b, steps_b);
    kfake_thread(fk, "C", 8, 0, 0, KF_SCRIPT(fk, "C", steps_c));
    run_expect(fk, StopAllTerminated);
    g_assert_cmpstr(kfake_log(fk), ==,
                    "A:m1=WAIT_0@0 A:m2=WAIT_0@0 C:bad=" LOG_MUTANT_NOT_OWNED "@0 A:r1=-1@1000 A:r2=0@1000 "
                    "A:a-done@1000 B:b=WAIT_0@1000 B:br=0@1000");
    kfake_free(fk);
}

/*
 * Abandonment (T5, W1.2, W3): a thread that ends owning a mutant abandons
 * it; the first waiter gets STATUS_ABANDONED_WAIT_0 + its index and becomes
 * the owner (Abandoned cleared); after it releases, the next waiter gets a
 * plain STATUS_WAIT_0.
 */
static void
test_wait_mutant_abandoned(void)
{
    KFake *fk = fake_new(1);
    KMACHINE *m = kfake_m(fk);
    KMUTANT *mu = ke_mutant_create(m, "M", false);
    KEVENT *e = ke_event_create(m, "E", false, false);
    KCODE body_b = kfake_code_new(fk, "B"), body_c = kfake_code_new(fk, "C");
    const KfStep steps_a[] = {
        KF_WAIT(mu, KF_INFINITE, "a"),
        KF_DELAY(1000, NULL),               /* B and C start waiting */
        KF_RECORD("a-exit"),
    };

    kfake_thread(fk, "A", 8, 0, 0, KF_SCRIPT(fk, "A", steps_a));
    KTHREAD *b = kfake_thread(fk, "B", 8, 0, 0, body_b);
    KTHREAD *c = kfake_thread(fk, "C", 8, 0, 0, body_c);
    OwnerIs bo = { mu, b, 0, false }, co = { mu, c, 0, false };
    const KfStep steps_b[] = {
        KF_WAIT_MULTI(WaitAny, KF_INFINITE, "b", KF_OBJ(e), KF_OBJ(mu)),
        KF_CHECK(check_owner, &bo),
        KF_RELEASE_MUTANT(mu, "rel"),
    };
    const KfStep steps_c[] = {
        KF_WAIT(mu, KF_INFINITE, "c"),
        KF_CHECK(check_owner, &co),
        KF_RELEASE_MUTANT(mu, "crel"),
    };
    KF_SET(fk, body_b, steps_b);
    KF_SET(fk, body_c, steps_c);
    run_expect(fk, StopAllTerminated);
    g_assert_cmpstr(kfake_log(fk), ==,
                    "A:a=WAIT_0@0 A:a-exit@1000 B:b=ABANDONED_WAIT_1@1000 B:rel=0@1000 C:c=WAIT_0@1000 "
                    "C:crel=0@1000");
    g_assert_null(mu->owner);
    g_assert_false(mu->abandoned);
    kfake_free(fk);
}

/*
 * R8 (with R4/R6): owning a KMUTEX is an implicit critical region. The wait
 * that acquires it decrements KernelApcDisable once (not again on
 * recursion, and in the waiter's own KTHREAD when it is satisfied by a
 * release); a normal kernel APC queued meanwhile is not delivered; the
 * release that frees the mutex leaves the region and delivers the APC
 * (KR at APC_LEVEL, NR at PASSIVE_LEVEL) before KeReleaseMutex returns.
 */
static void
test_wait_kmutex_disables_kernel_apcs(void)
{
    KFake *fk = fake_new(1);
    KMACHINE *m = kfake_m(fk);
    KMUTANT *x = ke_mutant_create(m, "X", true);
    static const KfStep kr_steps[] = { KF_RECORD("kr"), KF_EXPECT(APC_LEVEL, 0, 0) };
    static const KfStep nr_steps[] = { KF_RECORD("nr"), KF_EXPECT(PASSIVE_LEVEL, 0, 0) };
    KCODE none = { 0, 0 };
    KCODE body_a = kfake_code_new(fk, "A");
    KTHREAD *a = kfake_thread(fk, "A", 8, 0, 0, body_a);
    KAPC *nk = kfake_apc(fk, a, KernelMode, "nk", KF_SCRIPT(fk, "kr", kr_steps), KF_SCRIPT(fk, "nr", nr_steps),
                         none);
    const KfStep steps_a[] = {
        KF_EXPECT(PASSIVE_LEVEL, 0, 0),
        KF_WAIT(x, KF_INFINITE, "x1"),
        KF_EXPECT(PASSIVE_LEVEL, -1, 0),
        KF_WAIT(x, KF_INFINITE, "x2"),
        KF_EXPECT(PASSIVE_LEVEL, -1, 0),
        KF_INSERT_APC(nk, 0),
        KF_RECORD("held"),
        KF_DELAY(100, NULL),
        KF_RECORD("still-held"),
        KF_RELEASE_MUTANT(x, "r1"),
        KF_EXPECT(PASSIVE_LEVEL, -1, 0),
        KF_RECORD("r1-done"),
        KF_RELEASE_MUTANT(x, "r2"),
        KF_RECORD("released"),
        KF_EXPECT(PASSIVE_LEVEL, 0, 0),
    };
    const KfStep steps_b[] = {
        KF_WAIT(x, KF_INFINITE, "b"),
        KF_EXPECT(PASSIVE_LEVEL, -1, 0),
        KF_RELEASE_MUTANT(x, "br"),
        KF_EXPECT(PASSIVE_LEVEL, 0, 0),
    };

    KF_SET(fk, body_a, steps_a);
    KTHREAD *b = kfake_thread(fk, "B", 8, 0, 0, KF_SCRIPT(fk, "B", steps_b));
    run_expect(fk, StopAllTerminated);
    g_assert_cmpstr(kfake_log(fk), ==,
                    "A:x1=WAIT_0@0 A:x2=WAIT_0@0 A:held@0 A:still-held@100 A:r1=-1@100 A:r1-done@100 A:kr@100 "
                    "A:nr@100 A:r2=0@100 A:released@100 B:b=WAIT_0@100 B:br=0@100");
    g_assert_cmpint(a->kernel_apc_disable, ==, 0);
    g_assert_cmpint(b->kernel_apc_disable, ==, 0);
    kfake_free(fk);
}

/*
 * W1.4/W3/W8: a wait with a timeout returns STATUS_TIMEOUT exactly at its
 * due time, and KeDelayExecutionThread returns STATUS_SUCCESS exactly at
 * its due time, even while another thread keeps the CPU busy (the waiter
 * has the higher priority, so it runs the moment it is readied).
 */
static void
test_wait_timeout_at_due_time(void)
{
    KFake *fk = fake_new(1);
    KMACHINE *m = kfake_m(fk);
    KEVENT *e = ke_event_create(m, "E", true, false);
    const KfStep steps_a[] = {
        KF_COMPUTE(300),
        KF_WAIT(e, 1000, "w"),
        KF_DELAY(500, "d"),
        KF_RECORD("end"),
    };
    const KfStep steps_b[] = { KF_COMPUTE(KF_MS(1)), KF_RECORD("b-end") };

    KTHREAD *a = kfake_thread(fk, "A", 10, 0, 0, KF_SCRIPT(fk, "A", steps_a));
    kfake_thread(fk, "B", 8, 0, 0, KF_SCRIPT(fk, "B", steps_b));
    run_expect(fk, StopAllTerminated);
    g_assert_cmpstr(kfake_log(fk), ==, "A:w=TIMEOUT@1300 A:d=SUCCESS@1800 A:end@1800 B:b-end@1000300");
    assert_rows(fk, TR_WAIT_END, a, "1300:258 1800:0");
    kfake_free(fk);
}

/*
 * W1.4: a zero timeout never blocks - not on an unsignaled object
 * (STATUS_TIMEOUT), not in KeDelayExecutionThread (STATUS_SUCCESS, W8), not
 * at DISPATCH_LEVEL where a blocking wait would bugcheck; a signaled object
 * still wins (STATUS_WAIT_0). The thread never enters the Waiting state.
 */
static void
test_wait_zero_timeout_never_blocks(void)
{
    KFake *fk = fake_new(1);
    KMACHINE *m = kfake_m(fk);
    KEVENT *e = ke_event_create(m, "E", true, false);
    KEVENT *sig = ke_event_create(m, "Sig", false, true);
    SignalIs sig_0 = { sig, 0 };
    const KfStep steps_a[] = {
        KF_WAIT(e, 0, "w"),
        KF_DELAY(0, "d"),
        KF_WAIT(sig, 0, "s"),
        KF_CHECK(check_signal, &sig_0),
        KF_RAISE_IRQL(DISPATCH_LEVEL),
        KF_WAIT(e, 0, "wd"),
        KF_EXPECT(DISPATCH_LEVEL, 0, 0),
        KF_LOWER_IRQL(PASSIVE_LEVEL),
        KF_RECORD("end"),
    };

    KTHREAD *a = kfake_thread(fk, "A", 8, 0, 0, KF_SCRIPT(fk, "A", steps_a));
    run_expect(fk, StopAllTerminated);
    g_assert_cmpstr(kfake_log(fk), ==, "A:w=TIMEOUT@0 A:d=SUCCESS@0 A:s=WAIT_0@0 A:wd=TIMEOUT@0 A:end@0");
    g_assert_cmpint(count_state_rows(fk, a, Waiting), ==, 0);
    g_assert_false(m->bugchecked);
    kfake_free(fk);
}

/*
 * W1.4 (wording: "a zero-length UserMode non-alertable delay with UAP clear
 * is a plain yield"): a KernelMode zero delay returns STATUS_SUCCESS at
 * step 4 without giving the CPU to a ready thread of the same priority.
 */
static void
test_wait_zero_delay_kernel_mode_no_yield(void)
{
    KFake *fk = fake_new(1);
    const KfStep steps_a[] = {
        KF_RECORD("a0"),
        KF_DELAY(0, "d"),
        KF_RECORD("a1"),
    };
    const KfStep steps_b[] = { KF_RECORD("b") };

    kfake_thread(fk, "A", 8, 0, 0, KF_SCRIPT(fk, "A", steps_a));
    kfake_thread(fk, "B", 8, 0, 0, KF_SCRIPT(fk, "B", steps_b));
    run_expect(fk, StopAllTerminated);
    g_assert_cmpstr(kfake_log(fk), ==, "A:a0@0 A:d=SUCCESS@0 A:a1@0 B:b@0");
    kfake_free(fk);
}

/* A blocking wait at DISPATCH_LEVEL bugchecks IRQL_NOT_LESS_OR_EQUAL, with
 * an infinite and with a finite non-zero timeout. */
static void
dispatch_wait_case(sim_time_t timeout)
{
    KFake *fk = fake_new(1);
    KMACHINE *m = kfake_m(fk);
    KEVENT *e = ke_event_create(m, "E", true, false);
    const KfStep steps_a[] = {
        KF_RAISE_IRQL(DISPATCH_LEVEL),
        KF_WAIT(e, timeout, "w"),
        KF_RECORD("never"),
    };

    KTHREAD *a = kfake_thread(fk, "A", 8, 0, 0, KF_SCRIPT(fk, "A", steps_a));
    run_expect(fk, StopBugcheck);
    g_assert_true(m->bugchecked);
    g_assert_cmphex(m->bugcheck.code, ==, BUGCODE_IRQL_NOT_LESS_OR_EQUAL);
    g_assert_cmpuint(m->bugcheck.p[1], ==, DISPATCH_LEVEL);
    g_assert_cmpint(m->bugcheck.thread, ==, a->id);
    g_assert_cmpstr(kfake_log(fk), ==, "");
    g_assert_cmpint(count_state_rows(fk, a, Waiting), ==, 0);
    kfake_free(fk);
}

static void
test_wait_blocking_at_dispatch_bugchecks(void)
{
    dispatch_wait_case(KF_INFINITE);
    dispatch_wait_case(1000);
}

/*
 * R9/R10 + W1.5: a DPC routine runs at DISPATCH_LEVEL in the interrupted
 * thread's context; a zero-timeout wait there is legal, a blocking one
 * bugchecks ATTEMPTED_SWITCH_FROM_DPC naming the thread.
 */
static void
test_wait_from_dpc_bugchecks(void)
{
    KFake *fk = fake_new(1);
    KMACHINE *m = kfake_m(fk);
    KEVENT *e = ke_event_create(m, "E", true, false);
    const KfStep dpc_steps[] = {
        KF_EXPECT(DISPATCH_LEVEL, 0, 0),
        KF_WAIT(e, 0, "dz"),
        KF_WAIT(e, KF_INFINITE, "dw"),
        KF_RECORD("never"),
    };
    KDPC *d = kfake_dpc(fk, "d", KF_SCRIPT(fk, "dpc", dpc_steps));
    const KfStep steps_a[] = {
        KF_COMPUTE(10),
        KF_INSERT_DPC(d, 0),
        KF_RECORD("never-a"),
    };

    KTHREAD *a = kfake_thread(fk, "A", 8, 0, 0, KF_SCRIPT(fk, "A", steps_a));
    run_expect(fk, StopBugcheck);
    g_assert_cmpstr(kfake_log(fk), ==, "A:dz=TIMEOUT@10");
    g_assert_true(m->bugchecked);
    g_assert_cmphex(m->bugcheck.code, ==, BUGCODE_ATTEMPTED_SWITCH_FROM_DPC);
    g_assert_cmpstr(m->bugcheck.name, ==, "ATTEMPTED_SWITCH_FROM_DPC");
    g_assert_cmpuint(m->bugcheck.p[0], ==, (uint64_t)a->id);
    g_assert_cmpint(count_state_rows(fk, a, Waiting), ==, 0);
    kfake_free(fk);
}

/*
 * W3: the status a wait returns is the one its waker wrote, whatever the CPU
 * does between the end of the wait and the caller's next statement. Here a
 * DPC becomes pending while the woken thread is being switched in (the
 * context-switch cost keeps it at DISPATCH_LEVEL for 10 us) and runs, on
 * that thread's stack, when the wait lowers the IRQL back to PASSIVE_LEVEL.
 */
static void
test_wait_status_survives_dpc(void)
{
    KCONFIG cfg;

    ke_config_default(&cfg);
    cfg.context_switch_cost = KF_US(10);
    KFake *fk = fake_new_cfg(&cfg);
    KMACHINE *m = kfake_m(fk);
    KEVENT *e = ke_event_create(m, "E", true, false);
    static const KfStep dpc_steps[] = { KF_RECORD("dpc") };
    const KfStep steps_a[] = {
        KF_WAIT(e, KF_US(100), "w"),        /* begins at 10 us: due at 110 us */
        KF_RECORD("end"),
    };

    kfake_thread(fk, "A", 8, 0, 0, KF_SCRIPT(fk, "A", steps_a));
    ke_schedule_dpc(m, KF_US(115), 0, KF_SCRIPT(fk, "dpc", dpc_steps), 0, 1, "late");
    run_expect(fk, StopAllTerminated);
    g_assert_cmpstr(kfake_log(fk), ==, "A:dpc@120000 A:w=TIMEOUT@120000 A:end@120000");
    kfake_free(fk);
}

/* ---- K5, K6, K1, K4: scheduling ----------------------------------------------- */

/*
 * K6: two compute-bound threads of equal priority on one CPU alternate at
 * quantum end. QuantumReset 6, 3 units a 15.625 ms tick: a switch every two
 * ticks; the thread whose quantum ended goes to the tail (round robin), and
 * its priority (at base) does not decay.
 */
static void
test_quantum_round_robin(void)
{
    KFake *fk = fake_new(1);
    const KfStep steps[] = { KF_COMPUTE(KF_MS(40)), KF_RECORD("end") };
    KCODE code = KF_SCRIPT(fk, "cpu-bound", steps);

    KTHREAD *a = kfake_thread(fk, "A", 8, 0, 0, code);
    KTHREAD *b = kfake_thread(fk, "B", 8, 0, 0, code);
    run_expect(fk, StopAllTerminated);
    assert_switches(fk, "0:Idle/0>A 31250000:A>B 62500000:B>A 71250000:A>B 80000000:B>Idle/0");
    g_assert_cmpstr(kfake_log(fk), ==, "A:end@71250000 B:end@80000000");
    assert_rows(fk, TR_QUANTUM_END, NULL, "31250000:8 62500000:8");
    g_autofree char *who = rows_threads(fk, TR_QUANTUM_END);
    g_assert_cmpstr(who, ==, "A B");
    g_assert_cmpuint(kfake_count(fk, TR_PRIORITY), ==, 0);
    g_assert_cmpint(a->priority, ==, 8);
    g_assert_cmpint(b->priority, ==, 8);
    kfake_free(fk);
}

/* data = GINT_TO_POINTER(expected quantum of the running thread). */
static void
check_quantum(KFake *fk, KMACHINE *m, KTHREAD *t, void *data)
{
    (void)fk;
    check_eq(m, t, "quantum", t->quantum, GPOINTER_TO_INT(data));
}

/*
 * K6: a wait satisfied without blocking charges one quantum unit. Three
 * such waits leave A 3 of its 6 units, so its first quantum ends at the
 * FIRST tick (15.625 ms) instead of the second; B then gets a full quantum.
 */
static void
test_satisfied_waits_charge_quantum(void)
{
    KFake *fk = fake_new(1);
    KMACHINE *m = kfake_m(fk);
    KEVENT *n = ke_event_create(m, "N", true, true);
    const KfStep steps_a[] = {
        KF_CHECK(check_quantum, GINT_TO_POINTER(6)),
        KF_WAIT(n, KF_INFINITE, NULL),
        KF_WAIT(n, KF_INFINITE, NULL),
        KF_WAIT(n, KF_INFINITE, NULL),
        KF_CHECK(check_quantum, GINT_TO_POINTER(3)),
        KF_COMPUTE(KF_MS(40)),
    };
    const KfStep steps_b[] = { KF_COMPUTE(KF_MS(40)) };

    kfake_thread(fk, "A", 8, 0, 0, KF_SCRIPT(fk, "A", steps_a));
    kfake_thread(fk, "B", 8, 0, 0, KF_SCRIPT(fk, "B", steps_b));
    run_expect(fk, StopAllTerminated);
    assert_switches(fk, "0:Idle/0>A 15625000:A>B 46875000:B>A 71250000:A>B 80000000:B>Idle/0");
    kfake_free(fk);
}

/*
 * K4: at unwait the quantum is charged one unit (the wait), and reset
 * first only when the increment is non-zero (and no decrement is pending):
 * two wakes with increment 0 leave 5 then 4 units; a wake with increment 1
 * resets to 6 and charges one (5) and boosts base 8 to 9.
 */
static void
test_unwait_charges_quantum(void)
{
    KFake *fk = fake_new(1);
    KMACHINE *m = kfake_m(fk);
    KEVENT *e = ke_event_create(m, "E", false, false);
    const KfStep steps_w[] = {
        KF_WAIT(e, KF_INFINITE, NULL),
        KF_CHECK(check_quantum, GINT_TO_POINTER(5)),
        KF_WAIT(e, KF_INFINITE, NULL),
        KF_CHECK(check_quantum, GINT_TO_POINTER(4)),
        KF_WAIT(e, KF_INFINITE, NULL),
        KF_CHECK(check_quantum, GINT_TO_POINTER(5)),
        KF_CHECK(check_priority, GINT_TO_POINTER(9)),
        KF_RECORD("w-end"),
    };
    const KfStep steps_s[] = {
        KF_DELAY(100, NULL), KF_SET_EVENT(e, 0),
        KF_DELAY(100, NULL), KF_SET_EVENT(e, 0),
        KF_DELAY(100, NULL), KF_SET_EVENT(e, 1),
        KF_RECORD("s-end"),
    };

    kfake_thread(fk, "W", 8, 0, 0, KF_SCRIPT(fk, "W", steps_w));
    kfake_thread(fk, "S", 8, 0, 0, KF_SCRIPT(fk, "S", steps_s));
    run_expect(fk, StopAllTerminated);
    g_assert_cmpstr(kfake_log(fk), ==, "W:w-end@300 S:s-end@300");
    kfake_free(fk);
}

/* The THREAD_STATE row that made t Ready at time `at`: its queue position
 * (1 = head), or -1 if there is none. */
static int64_t
ready_queue_pos(KFake *fk, const KTHREAD *t, sim_time_t at)
{
    for (guint i = 0; i < kfake_nrows(fk); i++) {
        const KfRow *r = kfake_row(fk, i);
        if (r->kind == TR_THREAD_STATE && r->thread == t->id && r->b == Ready && r->t == at)
            return r->e;
    }
    return -1;
}

/*
 * K5 + K1: a higher-priority thread that becomes ready (its start time)
 * preempts the running lower-priority thread at that very moment; the
 * preempted thread goes to the HEAD of its ready queue, so when the
 * high-priority thread ends it resumes before L2, a thread of the same
 * priority that was ready all along.
 */
static void
test_preempt_on_start(void)
{
    KFake *fk = fake_new(1);
    const KfStep steps_l[] = { KF_RECORD("L"), KF_COMPUTE(KF_MS(1)), KF_RECORD("L-end") };
    const KfStep steps_l2[] = { KF_RECORD("L2"), KF_COMPUTE(KF_US(100)) };
    const KfStep steps_h[] = { KF_RECORD("H"), KF_COMPUTE(KF_US(50)), KF_RECORD("H-end") };

    KTHREAD *l = kfake_thread(fk, "L", 8, 0, 0, KF_SCRIPT(fk, "L", steps_l));
    kfake_thread(fk, "L2", 8, 0, 0, KF_SCRIPT(fk, "L2", steps_l2));
    kfake_thread(fk, "H", 12, 0, KF_US(100), KF_SCRIPT(fk, "H", steps_h));
    run_expect(fk, StopAllTerminated);
    assert_switches(fk, "0:Idle/0>L 100000:L>H 150000:H>L 1050000:L>L2 1150000:L2>Idle/0");
    g_assert_cmpstr(kfake_log(fk), ==, "L:L@0 H:H@100000 H:H-end@150000 L:L-end@1050000 L2:L2@1050000");
    g_assert_cmpint(ready_queue_pos(fk, l, KF_US(100)), ==, 1);
    kfake_free(fk);
}

/*
 * K5 + K1: a thread readied while another is on standby for the same CPU
 * (here: L readied for the idle CPU, then H of higher priority readied at
 * the same instant) takes the standby slot; the displaced standby thread
 * is not lost: it goes back to the ready queue, at the head as a preempted
 * thread (ahead of L2), and runs when H is done. Every thread ends.
 */
static void
test_displaced_standby_requeued(void)
{
    KFake *fk = fake_new(1);
    KMACHINE *m = kfake_m(fk);
    const KfStep steps_l[] = { KF_RECORD("L") };
    const KfStep steps_l2[] = { KF_RECORD("L2") };
    const KfStep steps_h[] = { KF_RECORD("H"), KF_COMPUTE(100) };

    KTHREAD *l = kfake_thread(fk, "L", 8, 0, 0, KF_SCRIPT(fk, "L", steps_l));
    KTHREAD *h = kfake_thread(fk, "H", 12, 0, 0, KF_SCRIPT(fk, "H", steps_h));
    kfake_thread(fk, "L2", 8, 0, 0, KF_SCRIPT(fk, "L2", steps_l2));
    run_expect(fk, StopAllTerminated);
    check_standby(m, "end of run");
    g_assert_cmpstr(kfake_log(fk), ==, "H:H@0 L:L@100 L2:L2@100");
    assert_switches(fk, "0:Idle/0>H 100:H>L 100:L>L2 100:L2>Idle/0");
    g_assert_cmpint(l->state, ==, Terminated);
    g_assert_cmpint(h->state, ==, Terminated);
    kfake_free(fk);
}

/*
 * K5 + K1 through an event: the setter is preempted inside KeSetEvent by
 * the higher-priority waiter it readies (before its next statement), and
 * resumes ahead of L2 when the waiter ends.
 */
static void
test_preempt_on_event(void)
{
    KFake *fk = fake_new(1);
    KMACHINE *m = kfake_m(fk);
    KEVENT *e = ke_event_create(m, "E", false, false);
    const KfStep steps_h[] = { KF_WAIT(e, KF_INFINITE, "w"), KF_COMPUTE(KF_US(50)), KF_RECORD("H-end") };
    const KfStep steps_l[] = {
        KF_COMPUTE(KF_US(100)),
        KF_RECORD("set"),
        KF_SET_EVENT(e, 0),
        KF_RECORD("after-set"),
        KF_COMPUTE(KF_US(100)),
        KF_RECORD("L-end"),
    };
    const KfStep steps_l2[] = { KF_RECORD("L2") };

    /* H first: readying a low thread first and H second would displace a
     * standby, which /ke/dispatcher/displaced-standby-requeued checks. */
    kfake_thread(fk, "H", 12, 0, 0, KF_SCRIPT(fk, "H", steps_h));
    KTHREAD *l = kfake_thread(fk, "L", 8, 0, 0, KF_SCRIPT(fk, "L", steps_l));
    kfake_thread(fk, "L2", 8, 0, 0, KF_SCRIPT(fk, "L2", steps_l2));
    run_expect(fk, StopAllTerminated);
    assert_switches(fk, "0:Idle/0>H 0:H>L 100000:L>H 150000:H>L 250000:L>L2 250000:L2>Idle/0");
    g_assert_cmpstr(kfake_log(fk), ==,
                    "L:set@100000 H:w=WAIT_0@100000 H:H-end@150000 L:after-set@150000 L:L-end@250000 "
                    "L2:L2@250000");
    g_assert_cmpint(ready_queue_pos(fk, l, KF_US(100)), ==, 1);
    kfake_free(fk);
}

/*
 * K4 + K6: a dynamic thread (base 8) woken with increment 2 runs at 10; its
 * quantum is reset and charged one unit for the wait (5 left), so its first
 * quantum ends at the second tick after the wake, and each quantum end
 * decays the priority by one until it is back at its base, where it stays.
 * At base it shares the CPU with the preempted setter (round robin).
 */
static void
test_boost_decays_to_base(void)
{
    KFake *fk = fake_new(1);
    KMACHINE *m = kfake_m(fk);
    KEVENT *e = ke_event_create(m, "E", false, false);
    const KfStep steps_w[] = {
        KF_WAIT(e, KF_INFINITE, "w"),
        KF_CHECK(check_priority, GINT_TO_POINTER(10)),
        KF_COMPUTE(KF_MS(200)),
        KF_CHECK(check_priority, GINT_TO_POINTER(8)),
        KF_RECORD("end"),
    };
    const KfStep steps_s[] = { KF_COMPUTE(KF_MS(1)), KF_SET_EVENT(e, 2), KF_RECORD("S-after") };

    KTHREAD *w = kfake_thread(fk, "W", 8, 0, 0, KF_SCRIPT(fk, "W", steps_w));
    KTHREAD *s = kfake_thread(fk, "S", 8, 0, 0, KF_SCRIPT(fk, "S", steps_s));
    run_expect(fk, StopAllTerminated);
    assert_rows(fk, TR_PRIORITY, w, "1000000:8,10,1,0 31250000:10,9,2,0 62500000:9,8,2,0");
    assert_rows(fk, TR_PRIORITY, s, "");
    g_assert_cmpstr(kfake_log(fk), ==, "W:w=WAIT_0@1000000 S:S-after@62500000 W:end@201000000");
    g_assert_cmpint(w->priority, ==, 8);
    kfake_free(fk);
}

/*
 * K4: Base + Increment is clamped to 15 (base 13, increment 5 -> 15); a
 * dynamic thread with Base >= 14 only gets its quantum reset (base 14,
 * increment 2 -> stays 14).
 */
static void
test_boost_clamps_at_15(void)
{
    KFake *fk = fake_new(1);
    KMACHINE *m = kfake_m(fk);
    KEVENT *e1 = ke_event_create(m, "E1", false, false);
    KEVENT *e2 = ke_event_create(m, "E2", false, false);
    const KfStep steps_13[] = { KF_WAIT(e1, KF_INFINITE, "w"), KF_CHECK(check_priority, GINT_TO_POINTER(15)) };
    const KfStep steps_14[] = { KF_WAIT(e2, KF_INFINITE, "w"), KF_CHECK(check_priority, GINT_TO_POINTER(14)) };
    const KfStep steps_s[] = { KF_COMPUTE(100), KF_SET_EVENT(e1, 5), KF_SET_EVENT(e2, 2), KF_RECORD("S-end") };

    /* Highest first, so no standby thread is displaced at start-up. */
    KTHREAD *w14 = kfake_thread(fk, "W14", 14, 0, 0, KF_SCRIPT(fk, "W14", steps_14));
    KTHREAD *w13 = kfake_thread(fk, "W13", 13, 0, 0, KF_SCRIPT(fk, "W13", steps_13));
    kfake_thread(fk, "S", 8, 0, 0, KF_SCRIPT(fk, "S", steps_s));
    run_expect(fk, StopAllTerminated);
    assert_rows(fk, TR_PRIORITY, w13, "100:13,15,1,0");
    assert_rows(fk, TR_PRIORITY, w14, "");
    g_assert_cmpstr(kfake_log(fk), ==, "W13:w=WAIT_0@100 W14:w=WAIT_0@100 S:S-end@100");
    kfake_free(fk);
}

static void
check_quantum_reset(KFake *fk, KMACHINE *m, KTHREAD *t, void *data)
{
    (void)fk;
    (void)data;
    check_eq(m, t, "quantum", t->quantum, t->quantum_reset);
}

/* K4: a real-time thread (priority >= 16) gets its quantum reset and no
 * boost. */
static void
test_boost_none_for_realtime(void)
{
    KFake *fk = fake_new(1);
    KMACHINE *m = kfake_m(fk);
    KEVENT *e = ke_event_create(m, "E", false, false);
    const KfStep steps_rt[] = {
        KF_WAIT(e, KF_INFINITE, "w"),
        KF_CHECK(check_priority, GINT_TO_POINTER(20)),
        KF_CHECK(check_quantum_reset, NULL),
    };
    const KfStep steps_s[] = { KF_COMPUTE(TICK + 100), KF_SET_EVENT(e, 2), KF_RECORD("S-end") };

    KTHREAD *rt = kfake_thread(fk, "RT", 20, 0, 0, KF_SCRIPT(fk, "RT", steps_rt));
    kfake_thread(fk, "S", 8, 0, 0, KF_SCRIPT(fk, "S", steps_s));
    run_expect(fk, StopAllTerminated);
    assert_rows(fk, TR_PRIORITY, rt, "");
    g_assert_cmpint(rt->priority, ==, 20);
    g_assert_cmpstr(kfake_log(fk), ==, "RT:w=WAIT_0@15625100 S:S-end@15625100");
    kfake_free(fk);
}

/* ---- random multi-CPU workloads: invariants and determinism ------------------ */

static bool wl_failed;       /* a checkpoint of this workload run failed already */
static long wl_checks;       /* checkpoints reached, all runs */

static void
check_dispatcher(KFake *fk, KMACHINE *m, KTHREAD *t, void *data)
{
    g_autofree char *where = g_strdup_printf("t=%" PRId64 " on %s", m->now, t->header.name);

    (void)fk;
    (void)data;
    wl_checks++;
    if (wl_failed)
        return;     /* one report per run */
    wl_failed = !check_ready_queues(m, where) || compare_selection(m, where) < 0 || !check_standby(m, where);
}

#define WL_THREADS 12
#define WL_CPUS 4

/* A seeded workload on 4 CPUs: 12 threads of random priority (some real
 * time), affinity and start time, whose scripts compute, wait with timeouts
 * on shared events, a semaphore and a mutant, set/pulse/reset events,
 * release, delay, raise the IRQL and queue DPCs to random CPUs, and check
 * the dispatcher's invariants in the middle of the run; plus a periodic
 * at() DPC. Every wait has a timeout, so every thread ends. */
static void
build_workload(KFake *fk, uint64_t seed)
{
    KMACHINE *m = kfake_m(fk);
    SimRand r;
    KEVENT *ev[3];
    DISPATCHER_HEADER *objs[5];
    KDPC *dpcs[2];

    sim_rand_seed(&r, seed);
    ev[0] = ke_event_create(m, "ev0", false, false);
    ev[1] = ke_event_create(m, "ev1", true, false);
    ev[2] = ke_event_create(m, "ev2", false, true);
    KSEMAPHORE *sem = ke_semaphore_create(m, "sem", 1, 3);
    KMUTANT *mu = ke_mutant_create(m, "mu", false);
    for (int i = 0; i < 3; i++)
        objs[i] = KF_OBJ(ev[i]);
    objs[3] = KF_OBJ(sem);
    objs[4] = KF_OBJ(mu);
    for (int i = 0; i < 2; i++) {
        const KfStep dsteps[] = {
            KF_COMPUTE(KF_US(5)),
            KF_SET_EVENT(ev[i], 0),
            KF_RECORD("dpc"),
        };
        char name[16];
        snprintf(name, sizeof name, "dpc%d", i);
        dpcs[i] = kfake_dpc(fk, name, KF_SCRIPT(fk, name, dsteps));
    }
    {
        const KfStep psteps[] = { KF_PULSE_EVENT(ev[1], 1), KF_CHECK(check_dispatcher, NULL), KF_RECORD("at") };
        ke_schedule_dpc(m, KF_US(700), 1, KF_SCRIPT(fk, "periodic", psteps), KF_US(900), 20, "periodic");
    }
    for (int i = 0; i < WL_THREADS; i++) {
        GArray *st = g_array_new(FALSE, TRUE, sizeof(KfStep));
        int nsteps = 5 + (int)sim_rand_below(&r, 10);
        for (int k = 0; k < nsteps; k++) {
            sim_time_t tmo = (sim_time_t)sim_rand_below(&r, KF_MS(3));
            int o = (int)sim_rand_below(&r, 5);
            int o2 = (o + 1 + (int)sim_rand_below(&r, 4)) % 5;
            switch (sim_rand_below(&r, 12)) {
            case 0:
            case 1: {
                KfStep s = KF_COMPUTE(KF_US(10) + (sim_time_t)sim_rand_below(&r, KF_MS(4)));
                g_array_append_val(st, s);
                break;
            }
            case 2: {
                KfStep s = KF_WAIT(objs[o], tmo, "w");
                g_array_append_val(st, s);
                break;
            }
            case 3: {
                KfStep s = KF_WAIT_MULTI(sim_rand_below(&r, 2) ? WaitAny : WaitAll, tmo, "wm", objs[o], objs[o2]);
                g_array_append_val(st, s);
                break;
            }
            case 4: {
                KfStep s = KF_SET_EVENT(ev[sim_rand_below(&r, 3)], (int64_t)sim_rand_below(&r, 3));
                g_array_append_val(st, s);
                break;
            }
            case 5: {
                KfStep s1 = KF_RELEASE_SEMAPHORE(sem, 1, 1, "rs");
                KfStep s2 = KF_RESET_EVENT(ev[sim_rand_below(&r, 3)]);
                g_array_append_val(st, s1);
                g_array_append_val(st, s2);
                break;
            }
            case 6: {
                KfStep s = KF_DELAY((sim_time_t)sim_rand_below(&r, KF_MS(2)), "d");
                g_array_append_val(st, s);
                break;
            }
            case 7: {
                KfStep s[] = {
                    KF_RAISE_IRQL(DISPATCH_LEVEL),
                    KF_INSERT_DPC(dpcs[sim_rand_below(&r, 2)], (int64_t)sim_rand_below(&r, WL_CPUS)),
                    KF_COMPUTE(KF_US(5) + (sim_time_t)sim_rand_below(&r, KF_US(50))),
                    KF_LOWER_IRQL(PASSIVE_LEVEL),
                };
                g_array_append_vals(st, s, G_N_ELEMENTS(s));
                break;
            }
            case 8: {
                KfStep s[] = {
                    KF_WAIT(mu, tmo, "wmu"),
                    KF_COMPUTE(KF_US(20) + (sim_time_t)sim_rand_below(&r, KF_US(500))),
                    KF_RELEASE_MUTANT(mu, "rmu"),
                };
                g_array_append_vals(st, s, G_N_ELEMENTS(s));
                break;
            }
            case 9: {
                KfStep s[] = {
                    KF_RAISE_IRQL(APC_LEVEL),
                    KF_COMPUTE(KF_US(30)),
                    KF_EXPECT(APC_LEVEL, 0, 0),
                    KF_LOWER_IRQL(PASSIVE_LEVEL),
                };
                g_array_append_vals(st, s, G_N_ELEMENTS(s));
                break;
            }
            default: {
                KfStep s[] = { KF_CHECK(check_dispatcher, NULL), KF_RECORD("r") };
                g_array_append_vals(st, s, G_N_ELEMENTS(s));
                break;
            }
            }
        }
        {
            KfStep s = KF_EXPECT(PASSIVE_LEVEL, 0, 0);
            g_array_append_val(st, s);
        }
        char name[16];
        snprintf(name, sizeof name, "T%d", i);
        int prio = sim_rand_below(&r, 6) == 0 ? 16 + (int)sim_rand_below(&r, 6) : 1 + (int)sim_rand_below(&r, 15);
        KCODE code = kfake_script(fk, name, (KfStep *)(void *)st->data, st->len);
        kfake_thread(fk, name, prio, random_affinity(&r, WL_CPUS), (sim_time_t)sim_rand_below(&r, KF_MS(2)), code);
        g_array_free(st, TRUE);
    }
}

/* Build and run the workload of `seed`. strict: the run must end with
 * every thread terminated. */
static KFake *
run_workload(uint64_t seed, bool strict)
{
    KCONFIG cfg;

    ke_config_default(&cfg);
    cfg.cpus = WL_CPUS;
    cfg.seed = seed;
    cfg.clock_tick = KF_MS(1);              /* many quantum ends in a short run */
    KFake *fk = fake_new_cfg(&cfg);
    build_workload(fk, seed);
    wl_failed = false;
    if (strict)
        run_expect(fk, StopAllTerminated);
    else
        kfake_run(fk);
    return fk;
}

/*
 * K1/K5 inside real runs: in 100 seeded multi-CPU workloads the ready
 * queues, the summary bitmaps, the standby and running threads stay
 * consistent and selection equals brute force at every checkpoint (thread
 * steps and a periodic DPC), every thread ends, and no kernel assertion or
 * runner contract check fires.
 */
static void
test_dispatcher_invariants_random_runs(void)
{
    guint switches = 0;

    wl_checks = 0;
    for (uint64_t seed = 1; seed <= 100; seed++) {
        KFake *fk = run_workload(seed, true);
        KMACHINE *m = kfake_m(fk);
        g_autofree char *where = g_strdup_printf("seed %" PRIu64 ": end of run", seed);
        switches += kfake_count(fk, TR_CONTEXT_SWITCH);
        g_assert_false(m->bugchecked);
        if (m->live_threads != 0)
            test_fail("%s: %" PRId64 " threads never ended", where, m->live_threads);
        if (!wl_failed)
            wl_failed = !check_ready_queues(m, where) || !check_standby(m, where);
        kfake_free(fk);
    }
    g_assert_cmpuint(switches, >, 100 * 20);
    g_assert_cmpint(wl_checks, >, 1000);
    g_test_message("%u context switches, %ld checkpoints", switches, wl_checks);
}

/*
 * Determinism of the kernel alone: the same seeded multi-CPU workload run
 * twice gives the same sequence of trace rows (every field, texts included)
 * and the same log; another seed gives another trace.
 */
static void
test_determinism_same_seed_same_trace(void)
{
    for (uint64_t seed = 7; seed <= 9; seed++) {
        KFake *x = run_workload(seed, false);
        KFake *y = run_workload(seed, false);
        KFake *z = run_workload(seed + 1000, false);
        guint where = 0;
        bool same = kfake_same_rows(x, y, &where);
        if (!same)
            test_fail("seed %" PRIu64 ": runs differ at row %u of %u/%u", seed, where, kfake_nrows(x),
                               kfake_nrows(y));
        g_assert_cmpstr(kfake_log(x), ==, kfake_log(y));
        g_assert_cmpuint(kfake_count(x, TR_CONTEXT_SWITCH), >, 20);
        g_assert_cmpuint(kfake_count(x, TR_DPC_BEGIN), >, 20);
        g_assert_false(kfake_same_rows(x, z, &where));
        kfake_free(x);
        kfake_free(y);
        kfake_free(z);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();

    g_test_add_func("/ke/dispatcher/select-vs-bruteforce-K1", test_select_vs_bruteforce);
    g_test_add_func("/ke/dispatcher/invariants-in-random-runs-K1-K5", test_dispatcher_invariants_random_runs);
    g_test_add_func("/ke/dispatcher/quantum-round-robin-K6", test_quantum_round_robin);
    g_test_add_func("/ke/dispatcher/satisfied-waits-charge-quantum-K6", test_satisfied_waits_charge_quantum);
    g_test_add_func("/ke/dispatcher/unwait-charges-quantum-K4", test_unwait_charges_quantum);
    g_test_add_func("/ke/dispatcher/preempt-on-start-K5-K1", test_preempt_on_start);
    g_test_add_func("/ke/dispatcher/displaced-standby-requeued-K1-K5", test_displaced_standby_requeued);
    g_test_add_func("/ke/dispatcher/preempt-on-event-K5-K1", test_preempt_on_event);
    g_test_add_func("/ke/dispatcher/boost-decays-to-base-K4-K6", test_boost_decays_to_base);
    g_test_add_func("/ke/dispatcher/boost-clamps-at-15-K4", test_boost_clamps_at_15);
    g_test_add_func("/ke/dispatcher/boost-none-for-realtime-K4", test_boost_none_for_realtime);
    g_test_add_func("/ke/irql/apc-latched-until-passive-R1-R3", test_irql_apc_latched_until_passive);
    g_test_add_func("/ke/irql/lower-in-two-steps-R1", test_irql_lower_in_two_steps);
    g_test_add_func("/ke/irql/apc-latch-is-per-cpu-R2-K2", test_irql_apc_latch_is_per_cpu);
    g_test_add_func("/ke/bugcheck/nt-codes", test_bugcheck_codes_are_nt_codes);
    g_test_add_func("/ke/irql/lower-to-higher-bugchecks", test_irql_lower_to_higher_bugchecks);
    g_test_add_func("/ke/irql/raise-to-lower-bugchecks", test_irql_raise_to_lower_bugchecks);
    g_test_add_func("/ke/wait/any-first-satisfiable-W1", test_wait_any_first_satisfiable);
    g_test_add_func("/ke/wait/all-when-all-signaled-W1-W5", test_wait_all);
    g_test_add_func("/ke/wait/sync-event-wakes-one-K3", test_wait_sync_event_wakes_one);
    g_test_add_func("/ke/wait/notification-wakes-all-in-order-K3b", test_wait_notification_wakes_all_in_order);
    g_test_add_func("/ke/wait/semaphore-counts-W1", test_wait_semaphore_counts);
    g_test_add_func("/ke/wait/mutant-recursion-W1", test_wait_mutant_recursion);
    g_test_add_func("/ke/wait/mutant-abandoned-T5-W3", test_wait_mutant_abandoned);
    g_test_add_func("/ke/wait/kmutex-disables-kernel-apcs-R8", test_wait_kmutex_disables_kernel_apcs);
    g_test_add_func("/ke/wait/timeout-at-due-time-W3-W8", test_wait_timeout_at_due_time);
    g_test_add_func("/ke/wait/zero-timeout-never-blocks-W1.4", test_wait_zero_timeout_never_blocks);
    g_test_add_func("/ke/wait/zero-delay-kernelmode-no-yield-W1.4", test_wait_zero_delay_kernel_mode_no_yield);
    g_test_add_func("/ke/wait/blocking-at-dispatch-bugchecks-W1.5", test_wait_blocking_at_dispatch_bugchecks);
    g_test_add_func("/ke/wait/from-dpc-bugchecks-R10-W1.5", test_wait_from_dpc_bugchecks);
    g_test_add_func("/ke/wait/status-survives-dpc-W3", test_wait_status_survives_dpc);
    g_test_add_func("/ke/determinism/same-seed-same-trace", test_determinism_same_seed_same_trace);

    return g_test_run();
}
