/*
 * invariants.c - the kernel's invariants, checked after every transition
 * when asked (apcsim run --check-invariants, the test suite and the fuzzer).
 *
 * A violated invariant is a bug in apcsim, not in the scenario: the run stops
 * with the first one found and the transition (seq) after which it failed.
 * Checked:
 *   - every kernel APC list is shaped [SK...][NK...] (I5), in ApcState,
 *     SavedApcState and every stacked-attach buffer;
 *   - an APC is in at most one list, and `Inserted` is true exactly for the
 *     APCs found in a list, whose `state` points at that list's block (A5);
 *   - each thread is in exactly one place: Running = current of exactly one
 *     CPU; Standby = NextThread of exactly one CPU; Ready = in exactly one
 *     ready queue, at its priority; Waiting = its wait blocks linked to their
 *     objects (or a delay), on no CPU; Terminated = no frames, on no CPU;
 *   - the ready summary bitmaps match the queues (K1);
 *   - IRQL values are valid, and a CPU runs above PASSIVE while a DPC is active;
 *   - disable counters are never positive (R4, R5, R7);
 *   - the pointers of the APC environments match ApcStateIndex (E1, E2);
 *   - per APC kind, insertions = deliveries + removals + rundowns + the APCs
 *     still inserted (the summary's KSTATS lose no way out of a queue).
 * O(threads + APCs) per transition: for tests, not for long runs.
 */
#include "ke/ke.h"

#include <stdarg.h>
#include <stdio.h>

typedef struct Check {
    KMACHINE *m;
    GString *err;
    GHashTable *seen_apcs;          /* KAPC* -> the list it was found in */
} Check;

static bool fail(Check *k, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static bool fail(Check *k, const char *fmt, ...)
{
    if (k->err->len)
        return false;
    va_list ap;
    va_start(ap, fmt);
    g_string_vprintf(k->err, fmt, ap);
    va_end(ap);
    return false;
}

static bool check_list(Check *k, KTHREAD *t, KAPC_STATE *s, int mode, const char *where)
{
    bool seen_normal = false;
    for (GList *l = s->list[mode].head; l; l = l->next) {
        KAPC *a = l->data;
        if (g_hash_table_contains(k->seen_apcs, a))
            return fail(k, "APC %s is in two lists (A5): %s of %s and another", a->name, where, t->header.name);
        g_hash_table_insert(k->seen_apcs, a, s);
        if (!a->inserted || a->state != s)
            return fail(k, "APC %s in the %s list of %s has Inserted=%d and a wrong state block (A5)", a->name,
                        where, t->header.name, a->inserted);
        if (a->apc_mode != mode)
            return fail(k, "APC %s of mode %d is in the %s list of mode %d (I4)", a->name, a->apc_mode, where, mode);
        if (a->thread != t)
            return fail(k, "APC %s for thread %s is queued to %s", a->name, a->thread->header.name, t->header.name);
        if (mode == KernelMode) {
            if (a->has_normal_routine)
                seen_normal = true;
            else if (seen_normal)
                return fail(k, "kernel list %s of %s is not [special...][normal...]: special APC %s after a normal one "
                               "(I5)", where, t->header.name, a->name);
        }
    }
    return true;
}

static bool check_thread_place(Check *k, KTHREAD *t)
{
    KMACHINE *m = k->m;
    int as_current = 0, as_next = 0;
    for (int i = 0; i < m->ncpus; i++) {
        as_current += m->cpu[i].current == t;
        as_next += m->cpu[i].next == t;
    }
    int in_ready = 0;
    for (int i = 0; i < m->ncpus; i++)
        for (int p = 0; p < KE_MAXIMUM_PRIORITY; p++)
            for (GList *l = m->cpu[i].ready[p].head; l; l = l->next)
                if (l->data == t) {
                    in_ready++;
                    if (p != t->priority)
                        return fail(k, "thread %s of priority %d is in ready queue %d of CPU %d (K1)", t->header.name,
                                    t->priority, p, i);
                    if (t->ready_cpu != i)
                        return fail(k, "thread %s is in CPU %d's ready queue but records CPU %d", t->header.name, i,
                                    t->ready_cpu);
                }
    const char *st = nt_state_name(t->state);
    switch (t->state) {
    case Running:
        if (as_current != 1 || as_next || in_ready)
            return fail(k, "thread %s is Running but current on %d CPUs, standby on %d, in %d ready queues",
                        t->header.name, as_current, as_next, in_ready);
        break;
    case Standby:
        if (as_next != 1 || as_current || in_ready)
            return fail(k, "thread %s is Standby but NextThread of %d CPUs, current on %d, in %d ready queues",
                        t->header.name, as_next, as_current, in_ready);
        break;
    case Ready:
        if (t->idle) {
            if (as_current || as_next || in_ready)
                return fail(k, "idle thread %s is Ready but scheduled somewhere", t->header.name);
            break;
        }
        if (in_ready != 1 || as_current || as_next)
            return fail(k, "thread %s is Ready but in %d ready queues (current on %d, standby on %d)", t->header.name,
                        in_ready, as_current, as_next);
        break;
    case Waiting:
        if (as_current || as_next || in_ready)
            return fail(k, "thread %s is Waiting but scheduled somewhere (K3)", t->header.name);
        if (!t->wait)
            return fail(k, "thread %s is Waiting without a wait record", t->header.name);
        for (int i = 0; i < t->wait->count; i++)
            if (!t->wait->blocks[i].linked)
                return fail(k, "thread %s is Waiting but its wait block %d is not linked to %s (W3)", t->header.name,
                            i, t->wait->objects[i]->name);
        break;
    case Terminated:
        if (as_current || as_next || in_ready || t->nframes)
            return fail(k, "thread %s is Terminated but still scheduled or has %d frames", t->header.name,
                        t->nframes);
        break;
    case Initialized:
        if (as_current || as_next || in_ready)
            return fail(k, "thread %s is Initialized but scheduled somewhere", t->header.name);
        break;
    default:
        return fail(k, "thread %s is in state %s, which the model never uses", t->header.name, st);
    }
    return true;
}

static bool check_thread(Check *k, KTHREAD *t)
{
    if (t->kernel_apc_disable > 0 || t->special_apc_disable > 0)
        return fail(k, "thread %s has a positive disable counter (KAD %d, SAD %d) (R7)", t->header.name,
                    t->kernel_apc_disable, t->special_apc_disable);
    if (t->apc_state_index > 1)
        return fail(k, "thread %s has ApcStateIndex %d", t->header.name, t->apc_state_index);
    KAPC_STATE *orig = t->apc_state_index ? &t->saved_apc_state : &t->apc_state;
    KAPC_STATE *att = t->apc_state_index ? &t->apc_state : &t->saved_apc_state;
    if (t->apc_state_pointer[0] != orig || t->apc_state_pointer[1] != att)
        return fail(k, "thread %s: ApcStatePointer does not match ApcStateIndex %d (E1, E2)", t->header.name,
                    t->apc_state_index);
    if (t->apc_state_index == 0 && t->saved_apc_state.process)
        return fail(k, "thread %s is not attached but SavedApcState.Process is set (E1)", t->header.name);
    for (int mode = 0; mode < 2; mode++) {
        if (!check_list(k, t, &t->apc_state, mode, "ApcState") ||
            !check_list(k, t, &t->saved_apc_state, mode, "SavedApcState"))
            return false;
    }
    return check_thread_place(k, t);
}

/* Check every invariant; returns NULL if all hold, else a description
 * (g_free). Any IRQL, any time between transitions. */
char *ke_check_invariants(KMACHINE *m)
{
    Check k = { m, g_string_new(NULL), g_hash_table_new(g_direct_hash, g_direct_equal) };
    for (int i = 0; i < m->ncpus && !k.err->len; i++) {
        KPRCB *c = &m->cpu[i];
        uint32_t summary = 0;
        for (int p = 0; p < KE_MAXIMUM_PRIORITY; p++)
            if (!g_queue_is_empty(&c->ready[p]))
                summary |= 1u << p;
        if (summary != c->ready_summary)
            fail(&k, "CPU %d: ready summary 0x%x does not match its queues 0x%x (K1)", i, c->ready_summary, summary);
        else if (c->irql > HIGH_LEVEL)
            fail(&k, "CPU %d: IRQL %d", i, c->irql);
        else if (c->dpc_active && c->irql < DISPATCH_LEVEL)
            fail(&k, "CPU %d runs a DPC at IRQL %d (R10)", i, c->irql);
        else if (!c->current)
            fail(&k, "CPU %d has no current thread", i);
    }
    for (guint i = 0; i < m->threads->len && !k.err->len; i++)
        check_thread(&k, m->threads->pdata[i]);
    for (guint i = 0; i < m->stack_states->len && !k.err->len; i++) {
        KAPC_STATE_BUF *b = m->stack_states->pdata[i];
        for (int mode = 0; mode < 2 && !k.err->len; mode++)
            for (GList *l = b->state.list[mode].head; l; l = l->next) {
                KAPC *a = l->data;
                if (g_hash_table_contains(k.seen_apcs, a)) {
                    fail(&k, "APC %s is in two lists (A5)", a->name);
                    break;
                }
                g_hash_table_insert(k.seen_apcs, a, &b->state);
            }
    }
    int64_t queued[KSTAT_KINDS] = { 0 };
    for (guint i = 0; i < m->apcs->len && !k.err->len; i++) {
        KAPC *a = m->apcs->pdata[i];
        if (a->inserted && !g_hash_table_contains(k.seen_apcs, a))
            fail(&k, "APC %s says Inserted but is in no list (A5)", a->name);
        queued[ke_apc_stat_kind(a)] += a->inserted;
    }
    for (int kind = 0; kind < KSTAT_KINDS && !k.err->len; kind++) {
        const int64_t *n = m->stats.apc[kind];
        if (n[KSTAT_INSERTED] != n[KSTAT_DELIVERED] + n[KSTAT_REMOVED] + n[KSTAT_RUNDOWN] + queued[kind])
            fail(&k, "APC accounting, %s APCs: %lld inserted != %lld delivered + %lld removed + %lld run down + "
                 "%lld queued", ke_apc_stat_kind_name(kind), (long long)n[KSTAT_INSERTED], (long long)n[KSTAT_DELIVERED],
                 (long long)n[KSTAT_REMOVED], (long long)n[KSTAT_RUNDOWN], (long long)queued[kind]);
    }
    g_hash_table_destroy(k.seen_apcs);
    if (!k.err->len) {
        g_string_free(k.err, TRUE);
        return NULL;
    }
    return g_string_free(k.err, FALSE);
}

void ke_maybe_check_invariants(KMACHINE *m, int64_t rows_before)
{
    if (!m->check_invariants || m->stop == StopInvariant)
        return;
    char *e = ke_check_invariants(m);
    if (!e)
        return;
    m->invariant_rows_before = rows_before;
    if (m->stop == StopNone) {
        g_free(m->stop_message);
        m->stop_message = g_strdup_printf("%s (broken by the step that emitted transitions %lld..%lld)", e,
                                          (long long)rows_before + 1, (long long)m->rows);
        m->stop = StopInvariant;
    }
    g_free(e);
}
