/*
 * replay.c - the kernel state rebuilt from a trace: the state model, its
 * checkpoints, seeking in a trace file, and the debugger-style printer.
 *
 * Workload: a trace of a few hundred to tens of millions of rows, read by
 * people who ask "what did the kernel look like at 1.5 ms?" - once per
 * command - and by the differential test, which walks a trace from the
 * first row to the last and asks at thousands of points.
 *
 * The model
 * ---------
 * A KSNAP (ke/snapshot.h) that every row updates, plus what rows need
 * between them. What each row kind does to it (ktrace.h says what the
 * fields mean; the emitters in src/ke say when rows come):
 *
 *   RUN_BEGIN        the CPUs; the quantum every new thread starts with
 *   PROCESS_CREATE,  new entries; an idle thread becomes its CPU's idle and
 *   THREAD_CREATE,   current thread; a thread starts on the lowest CPU of
 *   OBJECT_CREATE    its affinity
 *   THREAD_STATE     the state; a thread leaves any ready queue, standby
 *                    slot and wait list it is in; to Ready it joins the
 *                    ready queue of the row's CPU at its priority (head when
 *                    queue_pos = 1), except idle threads, which are never
 *                    queued; to Standby it becomes the row CPU's NextThread;
 *                    to Waiting it takes its innermost begun wait (below)
 *                    and joins the wait list of each object, in order
 *   CONTEXT_SWITCH   the CPU's current thread; the thread's last CPU
 *   IRQL, SWINT_*,   the CPU's IRQL, request latches, DPC queue and
 *   DPC_*            DpcRoutineActive
 *   WAIT_BEGIN,      a stack of the waits begun and not ended, per thread:
 *   WAIT_END         a block (THREAD_STATE to Waiting) takes the innermost,
 *                    because a wait restarted by a kernel APC (W4) blocks
 *                    again without a new WAIT_BEGIN, and the APC's routines
 *                    may wait in between (the suspend APC's NR, S1). A wait
 *                    is: type, mode, alertability, objects (obj, or the id
 *                    list in the text when count > 1), the timeout, and
 *                    WaitIrql = the CPU's IRQL at the row - except right
 *                    after a signal "with Wait = TRUE", where the CPU is
 *                    already at SYNCH_LEVEL and the wait returns to the IRQL
 *                    that raise came from (the model remembers, per thread,
 *                    the last IRQL raised to SYNCH_LEVEL from: an inference,
 *                    WAIT_BEGIN does not carry WaitIrql)
 *   UNWAIT           the thread leaves the wait lists
 *   SIGNAL, MUTANT_OWNER, TIMER_*   object state (a periodic timer that
 *                    expires stays set, due one period later)
 *   FIELD, PRIORITY, MODE           thread fields, by their "to" value; a
 *                    StackAttachBuffer.* row is about the buffer the
 *                    APC_DEQUEUE right before it took an APC from (older
 *                    traces name that buffer SavedApcState there)
 *   APC_INSERT       the APC enters the list (mode) of the block (0
 *                    ApcState, 1 SavedApcState) at the position the row
 *                    gives; "after the specials" skips the entries that
 *                    were themselves inserted after the specials (in a kernel
 *                    list exactly the special kernel APCs, in a user list the
 *                    special user APCs), which is the walk apc.c makes
 *   APC_DEQUEUE      the APC leaves whatever list holds it
 *   APC_STATE_MOVE   whole KAPC_STATEs move (lists and flags), as attach.c
 *                    moves them: 0 ApcState -> SavedApcState, 1 ApcState ->
 *                    the stack-attach buffer d, 2 back, 3 back from the
 *                    buffer; ApcState starts empty for process b on attach.
 *                    The FIELD rows that follow repeat the flags' new values
 *   ROUTINE_*        a stack of running routines (for the printer only)
 *   BUGCHECK, RUN_END   kept for the printer
 *
 * Every row that carries an old value (a FIELD's "from", an IRQL's "from",
 * a THREAD_STATE's "from", ...) is checked against the model first; a
 * mismatch is a row the model could not have predicted, i.e. a transition
 * missing from the log, and is counted (replay_state_disagreements). The
 * differential test requires none.
 *
 * Checkpoints
 * -----------
 * A checkpoint is the whole model saved as a byte string (zigzag varints,
 * one codec function per structure used for both saving and loading, so the
 * two cannot disagree) in the table replay_checkpoint(seq, format, state) of
 * the trace file itself: one file stays one file, and the table rides along
 * with copies. They are written while the trace is written
 * (replay_checkpoint_rows, called by the store), or added later by
 * `apcsim replay --index` (replay_index) for older traces. An interval is
 * max(REPLAY_CHECKPOINT_MIN_ROWS, saved size / REPLAY_CHECKPOINT_BYTES_PER_ROW)
 * rows, which bounds both the work of a seek (load one state, apply at most
 * one interval of rows) and the space (a fraction of the rows' own size)
 * independently of the trace's length. Measured on a trace of 10,069,084
 * rows (4 CPUs, 8 threads, 276 MB): 307 checkpoints of about 1.1 KB each;
 * `--at` anywhere 0.01 s with them, 4.7 s without (a full pass applies
 * about 2 million rows a second, most of it SQLite's).
 *
 * Rejected: checkpoints in a side file (two files to keep together and a
 * second way to go stale); building them implicitly on first use (a reader
 * that writes, and a first query that costs a full pass - `--index` does it
 * when asked);
 * per-thread "last row" indices (a seek would still need every kind of row
 * for CPUs, objects and lists); saving the state as canonical text (three
 * times larger and slow to parse).
 *
 * Seeking to a time is a binary search over seq (t never decreases with
 * seq), each probe a primary-key lookup: no index on t is needed.
 */
#include "trace/replay.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "ke/ke.h"
#include "trace/trace_int.h"
#include "trace/why.h"

/* ======================================================================
 * The state model
 * ====================================================================== */

/* A routine running on a thread, from its ROUTINE_BEGIN row. */
typedef struct RRoutine {
    uint8_t kind;                   /* KROUTINE_KIND */
    uint8_t apc;                    /* RAPC_* of the owner when it is the APC just dequeued, else 0 */
    int32_t owner;                  /* APC/DPC id, -1 */
    int64_t t;                      /* when it began */
} RRoutine;

/* What the APC_DEQUEUE row before a routine says of its APC (for why.c). */
enum { RAPC_KNOWN = 1, RAPC_USER = 2, RAPC_SPECIAL = 4 };

/* A wait between its WAIT_BEGIN and its WAIT_END. */
typedef struct RWait {
    uint8_t type, mode, irql;
    bool alertable;
    int64_t timeout;                /* relative, -1 = infinite */
    int64_t due;                    /* t + timeout: exact only with timer_resolution "exact" */
    GArray *objects;                /* int32 ids */
} RWait;

/* What the model keeps per thread besides its KSNAP_THREAD. */
typedef struct RThread {
    KSNAP_THREAD *k;                /* owned by the snapshot */
    /* The waits begun and not ended, innermost last: a wait restarted by a
     * kernel APC (W4) blocks again with no new WAIT_BEGIN, and the APC's
     * routines may wait in between (the suspend APC's NR does: S1). */
    GArray *waits;                  /* RWait */
    int8_t sync_from;               /* IRQL of the last raise to SYNCH_LEVEL while it ran, -1 */
    int32_t ready_cpu;              /* ready queue it is in, -1 */
    int8_t ready_prio;
    GArray *routines;               /* RRoutine, innermost last */
    int8_t switched_out_irql;       /* IRQL it was last switched out at (CONTEXT_SWITCH, K2);
                                       a new thread counts as APC_LEVEL */
    int32_t deq_apc;                /* the APC its last APC_DEQUEUE took, -1 */
    uint8_t deq_flags;              /* RAPC_* of that APC */
} RThread;

/* The KAPC_STATE saved in a KeStackAttachProcess buffer (attach.c). */
typedef struct RBuffer {
    int32_t id;
    int32_t thread;
    KSNAP_APC_STATE as;
} RBuffer;

struct ReplayState {
    KSNAP *snap;
    GHashTable *threads;            /* id -> RThread* (owned) */
    GHashTable *objects;            /* id -> KSNAP_OBJECT* (owned by snap) */
    GArray *processes;              /* int32 ids, creation order */
    GHashTable *buffers;            /* id -> RBuffer* (owned) */
    int64_t seq, t;
    /* RUN_BEGIN */
    int64_t seed, clock_tick, switch_cost;
    int32_t quantum;
    char *profile;
    /* RUN_END */
    bool ended;
    int64_t stop_reason;
    char *stop_text;
    /* BUGCHECK */
    bool bugchecked;
    int64_t bug_code, bug_p[4], bug_t;
    int32_t bug_thread, bug_cpu;
    /* self-check */
    int64_t disagreements;
    char *first_disagreement;
    int32_t move_thread;            /* thread whose APC_STATE_MOVE the current FIELD rows follow, -1 */
    int32_t removed_buffer;         /* buffer an APC_DEQUEUE just took an APC from, -1 */
};

static void
rs_waits_clear(RThread *rt)
{
    for (guint i = 0; rt->waits && i < rt->waits->len; i++) {
        RWait *w = &g_array_index(rt->waits, RWait, i);

        if (w->objects)
            g_array_free(w->objects, TRUE);
    }
    if (rt->waits)
        g_array_set_size(rt->waits, 0);
}

static void
rthread_free(gpointer p)
{
    RThread *rt = p;

    rs_waits_clear(rt);
    if (rt->waits)
        g_array_free(rt->waits, TRUE);
    if (rt->routines)
        g_array_free(rt->routines, TRUE);
    g_free(rt);
}

static void
rbuffer_free(gpointer p)
{
    RBuffer *b = p;

    ke_snapshot_apc_state_clear(&b->as);
    g_free(b);
}

ReplayState *
replay_state_new(void)
{
    ReplayState *st = g_new0(ReplayState, 1);

    st->snap = ke_snapshot_new(0);
    st->threads = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, rthread_free);
    st->objects = g_hash_table_new(g_direct_hash, g_direct_equal);
    st->processes = g_array_new(FALSE, FALSE, sizeof(int32_t));
    st->buffers = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, rbuffer_free);
    st->quantum = 6;
    st->move_thread = -1;
    st->removed_buffer = -1;
    st->bug_thread = st->bug_cpu = -1;
    return st;
}

void
replay_state_free(ReplayState *st)
{
    if (!st)
        return;
    g_hash_table_destroy(st->threads);
    g_hash_table_destroy(st->objects);
    g_hash_table_destroy(st->buffers);
    g_array_free(st->processes, TRUE);
    ke_snapshot_free(st->snap);
    g_free(st->profile);
    g_free(st->stop_text);
    g_free(st->first_disagreement);
    g_free(st);
}

int64_t replay_state_seq(const ReplayState *st) { return st->seq; }
int64_t replay_state_time(const ReplayState *st) { return st->t; }
const KSNAP *replay_state_snapshot(const ReplayState *st) { return st->snap; }
void
replay_state_run_info(const ReplayState *st, ReplayRunInfo *out)
{
    memset(out, 0, sizeof *out);
    out->ncpus = st->snap->ncpus;
    out->seed = st->seed;
    out->clock_tick = st->clock_tick;
    out->switch_cost = st->switch_cost;
    out->quantum = st->quantum;
    out->profile = st->profile;
    out->ended = st->ended;
    out->stop_reason = st->stop_reason;
    out->stop_text = st->stop_text;
    out->bugchecked = st->bugchecked;
    out->bug_code = (uint32_t)st->bug_code;
    for (int i = 0; i < 4; i++)
        out->bug_p[i] = (uint64_t)st->bug_p[i];
    out->bug_thread = st->bug_thread;
    out->bug_cpu = st->bug_cpu;
    out->bug_t = st->bug_t;
}

int64_t replay_state_disagreements(const ReplayState *st) { return st->disagreements; }
const char *replay_state_first_disagreement(const ReplayState *st) { return st->first_disagreement; }

static void rs_disagree(ReplayState *st, const KTRACE_RECORD *rec, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* Count a row that does not fit the model; keep the first description. */
static void
rs_disagree(ReplayState *st, const KTRACE_RECORD *rec, const char *fmt, ...)
{
    st->disagreements++;
    if (st->first_disagreement)
        return;

    va_list ap;
    char *msg;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    st->first_disagreement = g_strdup_printf("row %" PRId64 " (%s): %s", st->seq,
                                             rec->kind >= 0 && rec->kind < TR__COUNT
                                                 ? ktrace_kind_info[rec->kind].name : "?",
                                             msg);
    g_free(msg);
}

static RThread *
rs_thread(ReplayState *st, int32_t id)
{
    return g_hash_table_lookup(st->threads, GINT_TO_POINTER(id));
}

/* The thread a row is about, or NULL (counted as a disagreement). */
static RThread *
rs_row_thread(ReplayState *st, const KTRACE_RECORD *rec, int32_t id)
{
    RThread *rt = rs_thread(st, id);

    if (!rt)
        rs_disagree(st, rec, "unknown thread %" PRId32, id);
    return rt;
}

static KSNAP_CPU *
rs_row_cpu(ReplayState *st, const KTRACE_RECORD *rec, int64_t cpu)
{
    if (cpu < 0 || cpu >= st->snap->ncpus) {
        rs_disagree(st, rec, "no CPU %" PRId64, cpu);
        return NULL;
    }
    return &st->snap->cpu[cpu];
}

/* The wait list of a dispatcher object (a thread or another object), or NULL. */
static GArray **
rs_wait_list(ReplayState *st, int32_t id)
{
    KSNAP_OBJECT *o = g_hash_table_lookup(st->objects, GINT_TO_POINTER(id));
    RThread *rt;

    if (o)
        return &o->wait_list;
    rt = rs_thread(st, id);
    return rt ? &rt->k->wait_list : NULL;
}

/* The signal state of a dispatcher object, or NULL. */
static int32_t *
rs_signal_state(ReplayState *st, int32_t id)
{
    KSNAP_OBJECT *o = g_hash_table_lookup(st->objects, GINT_TO_POINTER(id));
    RThread *rt;

    if (o)
        return &o->signal_state;
    rt = rs_thread(st, id);
    return rt ? &rt->k->signal_state : NULL;
}

static void
rs_ready_remove(ReplayState *st, RThread *rt)
{
    if (rt->ready_cpu < 0)
        return;
    if (rt->ready_cpu < st->snap->ncpus)
        ke_snapshot_ids_remove(&st->snap->cpu[rt->ready_cpu].ready[rt->ready_prio], rt->k->id);
    rt->ready_cpu = -1;
    rt->ready_prio = 0;
}

static void
rs_standby_clear(ReplayState *st, int32_t id)
{
    for (int i = 0; i < st->snap->ncpus; i++)
        if (st->snap->cpu[i].next == id)
            st->snap->cpu[i].next = -1;
}

static void
rs_wait_unlink(ReplayState *st, RThread *rt)
{
    GArray *objs = rt->k->wait_objects;

    for (guint i = 0; objs && i < objs->len; i++) {
        GArray **wl = rs_wait_list(st, g_array_index(objs, int32_t, i));

        if (wl)
            ke_snapshot_ids_remove(wl, rt->k->id);
    }
}

/* ---- rows: run, processes, threads, objects ---------------------------------- */

static void
rs_run_begin(ReplayState *st, const KTRACE_RECORD *rec)
{
    if (rec->a < 1 || rec->a > KE_MAX_CPUS) {
        rs_disagree(st, rec, "cpus=%" PRId64, rec->a);
        return;
    }
    ke_snapshot_set_cpus(st->snap, (int)rec->a);
    st->seed = rec->b;
    st->clock_tick = rec->c;
    st->quantum = (int32_t)rec->d;
    st->switch_cost = rec->e;
    g_free(st->profile);
    st->profile = g_strdup(rec->text);
}

static void
rs_thread_create(ReplayState *st, const KTRACE_RECORD *rec)
{
    int32_t id = rec->obj;
    const GPtrArray *ts = st->snap->threads;

    if (rs_thread(st, id) ||
        (ts->len && ((KSNAP_THREAD *)g_ptr_array_index(ts, ts->len - 1))->id >= id)) {
        rs_disagree(st, rec, "thread %" PRId32 " created twice or out of order", id);
        return;
    }

    RThread *rt = g_new0(RThread, 1);
    KSNAP_THREAD *k = ke_snapshot_add_thread(st->snap, id);
    uint64_t affinity = (uint64_t)rec->c;

    rt->k = k;
    rt->sync_from = -1;
    rt->ready_cpu = -1;
    rt->switched_out_irql = APC_LEVEL;      /* K2: "brand-new thread" */
    rt->deq_apc = -1;
    g_hash_table_insert(st->threads, GINT_TO_POINTER(id), rt);
    k->process = (int32_t)rec->a;
    k->priority = k->base_priority = (int8_t)rec->b;
    k->system = rec->d != 0;
    k->quantum = (int8_t)st->quantum;
    k->cpu = affinity ? __builtin_ctzll(affinity) : 0;
    k->apc_state.process = k->process;
    k->state = Initialized;
    k->mode = KernelMode;
    k->state_t = rec->t;
    if (rec->e >= 0) {
        KSNAP_CPU *c = rs_row_cpu(st, rec, rec->e);

        k->idle_cpu = (int32_t)rec->e;
        k->cpu = (int32_t)rec->e;
        if (c)
            c->idle = c->current = id;      /* machine.c: c->current = idle before the first row */
    }
}

static void
rs_object_create(ReplayState *st, const KTRACE_RECORD *rec)
{
    int32_t id = rec->obj;
    const GPtrArray *os = st->snap->objects;

    if (g_hash_table_contains(st->objects, GINT_TO_POINTER(id)) ||
        (os->len && ((KSNAP_OBJECT *)g_ptr_array_index(os, os->len - 1))->id >= id)) {
        rs_disagree(st, rec, "object %" PRId32 " created twice or out of order", id);
        return;
    }

    KSNAP_OBJECT *o = ke_snapshot_add_object(st->snap, id);

    o->type = (uint8_t)rec->a;
    o->signal_state = (int32_t)rec->b;
    o->limit = (int32_t)rec->c;
    o->mutex = rec->a == MutantObject && rec->d != 0;
    g_hash_table_insert(st->objects, GINT_TO_POINTER(id), o);
}

/* ---- rows: scheduling ------------------------------------------------------------ */

static void
rs_thread_state(ReplayState *st, const KTRACE_RECORD *rec)
{
    RThread *rt = rs_row_thread(st, rec, rec->thread);

    if (!rt)
        return;

    KSNAP_THREAD *k = rt->k;
    int to = (int)rec->b;

    if (k->state != rec->a)
        rs_disagree(st, rec, "thread %" PRId32 " is %s, the row says from=%s", k->id,
                     nt_state_name(k->state), nt_state_name((int)rec->a));
    rs_ready_remove(st, rt);
    rs_standby_clear(st, k->id);
    if (k->state == Waiting && to != Waiting)
        rs_wait_unlink(st, rt);
    k->state = (uint8_t)to;
    k->state_t = rec->t;
    switch (to) {
    case Waiting:
        k->wait_reason = (uint8_t)rec->c;
        if (k->wait_objects)
            g_array_free(k->wait_objects, TRUE);
        k->wait_objects = NULL;
        if (!rt->waits || rt->waits->len == 0) {
            rs_disagree(st, rec, "thread %" PRId32 " blocks without a WAIT_BEGIN", k->id);
        } else {
            /* the innermost wait; a copy, since a restart blocks again */
            const RWait *w = &g_array_index(rt->waits, RWait, rt->waits->len - 1);

            k->wait_type = w->type;
            k->wait_mode = w->mode;
            k->wait_irql = w->irql;
            k->alertable = w->alertable;
            k->wait_timeout = w->timeout;
            k->wait_due = w->due;
            k->wait_objects = w->objects ? g_array_copy(w->objects) : NULL;
        }
        /* wait.c links the wait blocks in object order, each at the tail */
        for (guint i = 0; k->wait_objects && i < k->wait_objects->len; i++) {
            int32_t oid = g_array_index(k->wait_objects, int32_t, i);
            GArray **wl = rs_wait_list(st, oid);

            if (wl)
                ke_snapshot_ids_append(wl, k->id);
            else
                rs_disagree(st, rec, "thread %" PRId32 " waits on unknown object %" PRId32, k->id, oid);
        }
        break;
    case Ready:
        if (k->idle_cpu >= 0)
            break;                          /* an idle thread is never queued */
        if (rs_row_cpu(st, rec, rec->cpu)) {
            KSNAP_CPU *c = &st->snap->cpu[rec->cpu];
            int p = k->priority;

            if (p < 0 || p >= KSNAP_PRIORITIES) {
                rs_disagree(st, rec, "priority %d out of range", p);
                break;
            }
            if (rec->e == 1)
                ke_snapshot_ids_prepend(&c->ready[p], k->id);
            else
                ke_snapshot_ids_append(&c->ready[p], k->id);
            rt->ready_cpu = (int32_t)rec->cpu;
            rt->ready_prio = (int8_t)p;
        }
        break;
    case Standby:
        if (rs_row_cpu(st, rec, rec->cpu))
            st->snap->cpu[rec->cpu].next = k->id;
        break;
    case Terminated:
        k->exit_status = (int32_t)rec->d;
        if (rt->routines)
            g_array_set_size(rt->routines, 0);
        rs_waits_clear(rt);                 /* PspExitThread pops every frame */
        break;
    default:
        break;
    }
}

static void
rs_context_switch(ReplayState *st, const KTRACE_RECORD *rec)
{
    KSNAP_CPU *c = rs_row_cpu(st, rec, rec->cpu);
    RThread *rt = rs_row_thread(st, rec, (int32_t)rec->b);
    RThread *old = rs_thread(st, (int32_t)rec->a);

    if (!c || !rt)
        return;
    if (old)
        old->switched_out_irql = (int8_t)rec->c;
    if (c->current != rec->a)
        rs_disagree(st, rec, "cpu %" PRId32 " runs thread %" PRId32 ", the row says from=%" PRId64,
                    rec->cpu, c->current, rec->a);
    c->current = (int32_t)rec->b;
    rs_standby_clear(st, (int32_t)rec->b);
    rs_ready_remove(st, rt);
    rt->k->cpu = rec->cpu;
    rt->k->switches++;
}

static void
rs_irql(ReplayState *st, const KTRACE_RECORD *rec)
{
    KSNAP_CPU *c = rs_row_cpu(st, rec, rec->cpu);

    if (!c)
        return;
    if (c->irql != rec->a)
        rs_disagree(st, rec, "cpu %" PRId32 " is at IRQL %d, the row says from=%" PRId64, rec->cpu, c->irql,
                    rec->a);
    c->irql = (int)rec->b;
    if (rec->b == SYNCH_LEVEL && rec->a < SYNCH_LEVEL) {
        RThread *rt = rs_thread(st, rec->thread);

        if (rt)
            rt->sync_from = (int8_t)rec->a;
    }
}

static uint8_t
swint_bit(int64_t level)
{
    return level == DISPATCH_LEVEL ? SWINT_DISPATCH : SWINT_APC;
}

static void
rs_dpc_begin(ReplayState *st, const KTRACE_RECORD *rec)
{
    KSNAP_CPU *c = rs_row_cpu(st, rec, rec->cpu);

    if (!c)
        return;
    if (!c->dpc_queue || c->dpc_queue->len == 0 || g_array_index(c->dpc_queue, int32_t, 0) != rec->obj)
        rs_disagree(st, rec, "DPC %" PRId32 " is not at the head of cpu %" PRId32 "'s queue", rec->obj,
                    rec->cpu);
    if (c->dpc_queue && c->dpc_queue->len && g_array_index(c->dpc_queue, int32_t, 0) == rec->obj) {
        g_array_remove_index(c->dpc_queue, 0);
        if (c->dpc_queue->len == 0) {
            g_array_free(c->dpc_queue, TRUE);
            c->dpc_queue = NULL;
        }
    } else {
        ke_snapshot_ids_remove(&c->dpc_queue, rec->obj);
    }
    c->dpc_active = true;
}

/* ---- rows: waits and objects ---------------------------------------------------------- */

static void
rs_wait_begin(ReplayState *st, const KTRACE_RECORD *rec)
{
    RThread *rt = rs_row_thread(st, rec, rec->thread);
    KSNAP_CPU *c = rs_row_cpu(st, rec, rec->cpu);
    RWait w = { 0 };

    if (!rt || !c)
        return;
    w.type = (uint8_t)rec->a;
    w.mode = (uint8_t)rec->b;
    w.alertable = rec->c != 0;
    w.timeout = rec->d < 0 ? -1 : rec->d;
    w.due = rec->d < 0 ? KSNAP_NO_DUE : rec->t + rec->d;
    /* WaitIrql: the IRQL at the call, or, after a signal with Wait = TRUE
     * (the CPU already at SYNCH_LEVEL), the IRQL before that signal. */
    w.irql = (uint8_t)c->irql;
    if (c->irql > DISPATCH_LEVEL) {
        if (rt->sync_from < 0)
            rs_disagree(st, rec, "a wait at IRQL %d with no raise to SYNCH_LEVEL before it", c->irql);
        else
            w.irql = (uint8_t)rt->sync_from;
    }
    if (rec->e == 1) {
        ke_snapshot_ids_append(&w.objects, rec->obj);
    } else if (rec->e > 1) {
        /* "id,id,..." (wait.c) */
        const char *p = rec->text ? rec->text : "";
        int64_t n = 0;

        while (*p) {
            char *end;
            gint64 v = g_ascii_strtoll(p, &end, 10);

            if (end == p)
                break;
            ke_snapshot_ids_append(&w.objects, (int32_t)v);
            n++;
            p = *end == ',' ? end + 1 : end;
        }
        if (n != rec->e)
            rs_disagree(st, rec, "count=%" PRId64 " but %" PRId64 " object ids in the text", rec->e, n);
    }
    if (!rt->waits)
        rt->waits = g_array_new(FALSE, TRUE, sizeof(RWait));
    g_array_append_val(rt->waits, w);
}

static void
rs_wait_end(ReplayState *st, const KTRACE_RECORD *rec)
{
    RThread *rt = rs_row_thread(st, rec, rec->thread);
    RWait *w;

    if (!rt)
        return;
    if (!rt->waits || rt->waits->len == 0) {
        rs_disagree(st, rec, "thread %" PRId32 " ends a wait it did not begin", rec->thread);
        return;
    }
    w = &g_array_index(rt->waits, RWait, rt->waits->len - 1);
    if (w->objects)
        g_array_free(w->objects, TRUE);
    g_array_set_size(rt->waits, rt->waits->len - 1);
}

static void
rs_signal(ReplayState *st, const KTRACE_RECORD *rec)
{
    int32_t *s = rs_signal_state(st, rec->obj);

    if (!s) {
        rs_disagree(st, rec, "unknown object %" PRId32, rec->obj);
        return;
    }
    if (*s != rec->a)
        rs_disagree(st, rec, "object %" PRId32 " has SignalState %" PRId32 ", the row says from=%" PRId64,
                    rec->obj, *s, rec->a);
    *s = (int32_t)rec->b;
}

static KSNAP_OBJECT *
rs_row_object(ReplayState *st, const KTRACE_RECORD *rec)
{
    KSNAP_OBJECT *o = g_hash_table_lookup(st->objects, GINT_TO_POINTER(rec->obj));

    if (!o)
        rs_disagree(st, rec, "unknown object %" PRId32, rec->obj);
    return o;
}

/* ---- rows: thread fields ---------------------------------------------------------------- */

/* The KSNAP field a FIELD row names: where it is and its C type. */
typedef enum { FV_BOOL, FV_I8, FV_U8, FV_I16 } FieldType;

typedef struct FieldRef {
    void *p;                        /* NULL: not a field this build knows */
    FieldType type;
} FieldRef;

static FieldRef
rs_field(KSNAP_THREAD *k, int64_t f)
{
    switch (f) {
    case FLD_KERNEL_APC_DISABLE:  return (FieldRef){ &k->kernel_apc_disable, FV_I16 };
    case FLD_SPECIAL_APC_DISABLE: return (FieldRef){ &k->special_apc_disable, FV_I16 };
    case FLD_KERNEL_APC_PENDING:  return (FieldRef){ &k->apc_state.kernel_apc_pending, FV_BOOL };
    case FLD_USER_APC_PENDING:    return (FieldRef){ &k->apc_state.user_apc_pending, FV_BOOL };
    case FLD_KERNEL_APC_IN_PROGRESS: return (FieldRef){ &k->apc_state.kernel_apc_in_progress, FV_BOOL };
    case FLD_ALERTED_KERNEL:      return (FieldRef){ &k->alerted[KernelMode], FV_BOOL };
    case FLD_ALERTED_USER:        return (FieldRef){ &k->alerted[UserMode], FV_BOOL };
    case FLD_APC_STATE_INDEX:     return (FieldRef){ &k->apc_state_index, FV_U8 };
    case FLD_APC_QUEUEABLE:       return (FieldRef){ &k->apc_queueable, FV_BOOL };
    case FLD_SUSPEND_COUNT:       return (FieldRef){ &k->suspend_count, FV_I8 };
    case FLD_QUANTUM:             return (FieldRef){ &k->quantum, FV_I8 };
    case FLD_SAVED_KAP:           return (FieldRef){ &k->saved_apc_state.kernel_apc_pending, FV_BOOL };
    case FLD_SAVED_UAP:           return (FieldRef){ &k->saved_apc_state.user_apc_pending, FV_BOOL };
    case FLD_SAVED_KAIP:          return (FieldRef){ &k->saved_apc_state.kernel_apc_in_progress, FV_BOOL };
    case FLD_BASE_PRIORITY:       return (FieldRef){ &k->base_priority, FV_I8 };
    case FLD_FREEZE_COUNT:        return (FieldRef){ &k->freeze_count, FV_I8 };
    case FLD_SPECIAL_USER_APC_PENDING: return (FieldRef){ &k->special_user_apc_pending, FV_BOOL };
    case FLD_SPECIAL_APC_IN_PROGRESS:  return (FieldRef){ &k->special_apc_in_progress, FV_BOOL };
    default: return (FieldRef){ NULL, FV_BOOL };
    }
}

static int64_t
field_get(FieldRef f)
{
    switch (f.type) {
    case FV_BOOL: return *(bool *)f.p;
    case FV_I8:   return *(int8_t *)f.p;
    case FV_U8:   return *(uint8_t *)f.p;
    case FV_I16:  return *(int16_t *)f.p;
    }
    return 0;
}

static void
field_set(FieldRef f, int64_t v)
{
    switch (f.type) {
    case FV_BOOL: *(bool *)f.p = v != 0; break;
    case FV_I8:   *(int8_t *)f.p = (int8_t)v; break;
    case FV_U8:   *(uint8_t *)f.p = (uint8_t)v; break;
    case FV_I16:  *(int16_t *)f.p = (int16_t)v; break;
    }
}

/* Fields whose old value a FIELD row after an APC_STATE_MOVE gives from
 * before the move (attach.c, ki_trace_flags). */
static bool
field_is_state_flag(int64_t f)
{
    return f == FLD_KERNEL_APC_PENDING || f == FLD_USER_APC_PENDING || f == FLD_KERNEL_APC_IN_PROGRESS ||
           f == FLD_SAVED_KAP || f == FLD_SAVED_UAP || f == FLD_SAVED_KAIP;
}

static void
rs_field_row(ReplayState *st, const KTRACE_RECORD *rec)
{
    RThread *rt = rs_row_thread(st, rec, rec->thread);
    FieldRef f;
    int64_t old;

    if (!rt)
        return;
    f = rs_field(rt->k, rec->a);
    /* KeRemoveQueueApc of an APC parked in a KeStackAttachProcess buffer
     * clears the buffer's KernelApcPending / UserApcPending when its list
     * empties: a StackAttachBuffer.* row right after the APC_DEQUEUE that
     * found the APC in that buffer. (Traces written before that field
     * existed name the buffer "SavedApcState" in that row: read the same.) */
    if (rec->a == FLD_BUFFER_KAP || rec->a == FLD_BUFFER_UAP ||
        (st->removed_buffer >= 0 && (rec->a == FLD_SAVED_KAP || rec->a == FLD_SAVED_UAP))) {
        RBuffer *b = st->removed_buffer < 0 ? NULL
                                            : g_hash_table_lookup(st->buffers, GINT_TO_POINTER(st->removed_buffer));
        bool kap = rec->a == FLD_BUFFER_KAP || rec->a == FLD_SAVED_KAP;

        if (b && b->thread == rec->thread) {
            f.p = kap ? &b->as.kernel_apc_pending : &b->as.user_apc_pending;
        } else if (rec->a == FLD_BUFFER_KAP || rec->a == FLD_BUFFER_UAP) {
            rs_disagree(st, rec, "a stack-attach buffer's flag changes, but the row before took no APC from a "
                                 "buffer of thread %" PRId32, rec->thread);
            return;
        }
    }
    if (!f.p) {
        rs_disagree(st, rec, "unknown field %" PRId64, rec->a);
        return;
    }
    old = field_get(f);
    if (old != rec->b && !(st->move_thread == rec->thread && field_is_state_flag(rec->a)))
        rs_disagree(st, rec, "thread %" PRId32 ".%s is %" PRId64 ", the row says from=%" PRId64, rec->thread,
                    ktrace_field_names[rec->a], old, rec->b);
    field_set(f, rec->c);
}

/* ---- rows: APC lists -------------------------------------------------------------------- */

static KSNAP_APC_STATE *
rs_block(RThread *rt, int64_t index)
{
    return index == 0 ? &rt->k->apc_state : index == 1 ? &rt->k->saved_apc_state : NULL;
}

static void
rs_apc_insert(ReplayState *st, const KTRACE_RECORD *rec)
{
    RThread *rt = rs_row_thread(st, rec, rec->thread);
    KSNAP_APC_STATE *as;
    GArray *list;
    KSNAP_APC e = { .id = rec->obj };
    guint at;

    if (!rt)
        return;
    as = rs_block(rt, rec->a);
    if (!as || (rec->b != KernelMode && rec->b != UserMode)) {
        rs_disagree(st, rec, "no APC state %" PRId64 " / list %" PRId64, rec->a, rec->b);
        return;
    }
    e.special = rec->c == QposAfterSpecials;
    e.environment = (int8_t)rec->e;
    e.increment = (int32_t)rec->d;
    e.insert_seq = st->seq;
    e.insert_t = rec->t;
    if (!as->list[rec->b])
        as->list[rec->b] = g_array_new(FALSE, FALSE, sizeof(KSNAP_APC));
    list = as->list[rec->b];
    switch (rec->c) {
    case QposHead:
        at = 0;
        e.at_head = true;
        break;
    case QposAfterSpecials:
        /* after the specials - and behind an exit APC at the head (T3, T4) */
        at = list->len && g_array_index(list, KSNAP_APC, 0).at_head && rec->b == UserMode ? 1 : 0;
        for (; at < list->len && g_array_index(list, KSNAP_APC, at).special; at++)
            ;
        break;
    default:
        at = list->len;
        break;
    }
    g_array_insert_val(list, at, e);
}

/* Remove APC id from a list; true if it was there. */
static bool
rs_list_remove(GArray **list, int32_t id)
{
    for (guint i = 0; *list && i < (*list)->len; i++) {
        if (g_array_index(*list, KSNAP_APC, i).id == id) {
            g_array_remove_index(*list, i);
            if ((*list)->len == 0) {
                g_array_free(*list, TRUE);
                *list = NULL;
            }
            return true;
        }
    }
    return false;
}

/* The entry of APC id in list mode of as, or NULL. */
static const KSNAP_APC *
rs_state_find(const KSNAP_APC_STATE *as, int mode, int32_t id)
{
    const GArray *l = as && mode >= 0 && mode < 2 ? as->list[mode] : NULL;

    for (guint i = 0; l && i < l->len; i++)
        if (g_array_index(l, KSNAP_APC, i).id == id)
            return &g_array_index(l, KSNAP_APC, i);
    return NULL;
}

static bool
rs_state_remove(KSNAP_APC_STATE *as, int mode, int32_t id)
{
    return as && mode >= 0 && mode < 2 && rs_list_remove(&as->list[mode], id);
}

static void
rs_apc_dequeue(ReplayState *st, const KTRACE_RECORD *rec)
{
    RThread *rt = rs_row_thread(st, rec, rec->thread);
    int mode = (int)rec->b;
    GHashTableIter it;
    gpointer v;

    if (!rt)
        return;
    const KSNAP_APC *e = rs_state_find(rs_block(rt, rec->a), mode, rec->obj);

    rt->deq_apc = rec->obj;
    rt->deq_flags = e ? (uint8_t)(RAPC_KNOWN | (mode == UserMode ? RAPC_USER : 0) | (e->special ? RAPC_SPECIAL : 0))
                      : 0;
    if (rs_state_remove(rs_block(rt, rec->a), mode, rec->obj))
        return;
    /* A block no index addresses: a KeStackAttachProcess buffer. */
    g_hash_table_iter_init(&it, st->buffers);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        RBuffer *b = v;

        if (b->thread == rec->thread && rs_state_remove(&b->as, mode, rec->obj)) {
            st->removed_buffer = b->id;
            if (rec->a != 2)
                rs_disagree(st, rec, "APC %" PRId32 " was in a stack-attach buffer, not in block %" PRId64,
                            rec->obj, rec->a);
            return;
        }
    }
    rs_disagree(st, rec, "APC %" PRId32 " is not in block %" PRId64 " list %d of thread %" PRId32, rec->obj,
                rec->a, mode, rec->thread);
    for (int blk = 0; blk < 2; blk++)
        for (int md = 0; md < 2; md++)
            if (rs_state_remove(rs_block(rt, blk), md, rec->obj))
                return;
}

enum { MOVE_AS_TO_SAS = 0, MOVE_AS_TO_BUFFER = 1, MOVE_SAS_TO_AS = 2, MOVE_BUFFER_TO_AS = 3 };

static void
rs_apc_state_move(ReplayState *st, const KTRACE_RECORD *rec)
{
    RThread *rt = rs_row_thread(st, rec, rec->thread);
    KSNAP_THREAD *k;
    RBuffer *b;

    if (!rt)
        return;
    k = rt->k;
    st->move_thread = k->id;
    switch (rec->a) {
    case MOVE_AS_TO_SAS:
        ke_snapshot_apc_state_move(&k->saved_apc_state, &k->apc_state);
        k->apc_state.process = (int32_t)rec->b;
        break;
    case MOVE_AS_TO_BUFFER:
        b = g_hash_table_lookup(st->buffers, GINT_TO_POINTER(rec->d));
        if (!b) {
            b = g_new0(RBuffer, 1);
            b->id = (int32_t)rec->d;
            b->as.process = -1;
            g_hash_table_insert(st->buffers, GINT_TO_POINTER(b->id), b);
        }
        b->thread = k->id;
        ke_snapshot_apc_state_move(&b->as, &k->apc_state);
        k->apc_state.process = (int32_t)rec->b;
        break;
    case MOVE_SAS_TO_AS:
        ke_snapshot_apc_state_move(&k->apc_state, &k->saved_apc_state);
        break;
    case MOVE_BUFFER_TO_AS:
        b = g_hash_table_lookup(st->buffers, GINT_TO_POINTER(rec->d));
        if (!b) {
            rs_disagree(st, rec, "no stack-attach buffer %" PRId64, rec->d);
            return;
        }
        ke_snapshot_apc_state_move(&k->apc_state, &b->as);
        g_hash_table_remove(st->buffers, GINT_TO_POINTER(rec->d));
        break;
    default:
        rs_disagree(st, rec, "unknown op %" PRId64, rec->a);
        return;
    }
    if (k->apc_state.process != rec->b)
        rs_disagree(st, rec, "ApcState.Process is %" PRId32 ", the row says %" PRId64, k->apc_state.process,
                    rec->b);
}

/* ---- rows: routines (for the printer) ---------------------------------------------------- */

static void
rs_routine(ReplayState *st, const KTRACE_RECORD *rec, bool begin)
{
    RThread *rt = rs_thread(st, rec->thread);
    RRoutine r = { .kind = (uint8_t)rec->a, .owner = rec->obj, .t = rec->t };

    if (!rt)
        return;
    if (begin) {
        if (rec->obj >= 0 && rec->obj == rt->deq_apc && r.kind != RtDpc)
            r.apc = rt->deq_flags;
        if (!rt->routines)
            rt->routines = g_array_new(FALSE, FALSE, sizeof(RRoutine));
        g_array_append_val(rt->routines, r);
        return;
    }
    /* The innermost matching one ends (a built-in routine that never
     * returns - PspExitThread - leaves its entry until the thread ends). */
    for (guint i = rt->routines ? rt->routines->len : 0; i-- > 0;) {
        RRoutine *x = &g_array_index(rt->routines, RRoutine, i);

        if (x->kind == r.kind && x->owner == r.owner) {
            g_array_set_size(rt->routines, i);
            return;
        }
    }
}

/* ---- apply ------------------------------------------------------------------------------- */

void
replay_state_apply(ReplayState *st, int64_t seq, const KTRACE_RECORD *rec)
{
    KSNAP_CPU *c;
    KSNAP_OBJECT *o;
    RThread *rt;

    g_return_if_fail(st != NULL && rec != NULL);
    if (seq != st->seq + 1)
        rs_disagree(st, rec, "row %" PRId64 " follows row %" PRId64, seq, st->seq);
    if (rec->t < st->t)
        rs_disagree(st, rec, "time goes back from %" PRId64 " ns to %" PRId64 " ns", st->t, rec->t);
    if (rec->cpu < -1 || (st->snap->ncpus > 0 && rec->cpu >= st->snap->ncpus))
        rs_disagree(st, rec, "CPU %" PRId32 " on a machine of %d CPUs", rec->cpu, st->snap->ncpus);
    st->seq = seq;
    st->t = rec->t;
    if (rec->kind != TR_FIELD)
        st->move_thread = -1;
    if (rec->kind != TR_FIELD || (rec->a != FLD_SAVED_KAP && rec->a != FLD_SAVED_UAP && rec->a != FLD_BUFFER_KAP &&
                                  rec->a != FLD_BUFFER_UAP))
        st->removed_buffer = -1;            /* set again by an APC_DEQUEUE from a buffer */

    switch ((KTRACE_KIND)rec->kind) {
    case TR_RUN_BEGIN:
        rs_run_begin(st, rec);
        break;
    case TR_RUN_END:
        st->ended = true;
        st->stop_reason = rec->a;
        g_free(st->stop_text);
        st->stop_text = g_strdup(rec->text);
        break;
    case TR_PROCESS_CREATE:
        g_array_append_val(st->processes, rec->obj);
        break;
    case TR_THREAD_CREATE:
        rs_thread_create(st, rec);
        break;
    case TR_OBJECT_CREATE:
        rs_object_create(st, rec);
        break;
    case TR_THREAD_STATE:
        rs_thread_state(st, rec);
        break;
    case TR_CONTEXT_SWITCH:
        rs_context_switch(st, rec);
        break;
    case TR_IRQL:
        rs_irql(st, rec);
        break;
    case TR_SWINT_REQUEST:
        if ((c = rs_row_cpu(st, rec, rec->cpu)))
            c->swint |= swint_bit(rec->a);
        break;
    case TR_SWINT_DISPATCH:
        if ((c = rs_row_cpu(st, rec, rec->cpu))) {
            if (!(c->swint & swint_bit(rec->a)))
                rs_disagree(st, rec, "no %s request latched on cpu %" PRId32,
                            rec->a == DISPATCH_LEVEL ? "DISPATCH" : "APC", rec->cpu);
            c->swint &= (uint8_t)~swint_bit(rec->a);
        }
        break;
    case TR_DPC_QUEUE:
        if ((c = rs_row_cpu(st, rec, rec->a))) {
            ke_snapshot_ids_append(&c->dpc_queue, rec->obj);
            if ((int64_t)c->dpc_queue->len != rec->b)
                rs_disagree(st, rec, "depth=%" PRId64 ", the model's queue holds %u", rec->b, c->dpc_queue->len);
        }
        break;
    case TR_DPC_BEGIN:
        rs_dpc_begin(st, rec);
        break;
    case TR_DPC_END:
        if ((c = rs_row_cpu(st, rec, rec->cpu)))
            c->dpc_active = false;
        break;
    case TR_WAIT_BEGIN:
        rs_wait_begin(st, rec);
        break;
    case TR_WAIT_END:
        rs_wait_end(st, rec);
        break;
    case TR_UNWAIT:
        if ((rt = rs_row_thread(st, rec, rec->thread))) {
            if (rt->k->state != Waiting)
                rs_disagree(st, rec, "thread %" PRId32 " is %s, not Waiting", rt->k->id,
                            nt_state_name(rt->k->state));
            rs_wait_unlink(st, rt);
        }
        break;
    case TR_SIGNAL:
        rs_signal(st, rec);
        break;
    case TR_MUTANT_OWNER:
        if ((o = rs_row_object(st, rec))) {
            o->owner = (int32_t)rec->a;
            o->abandoned = rec->c != 0;
        }
        break;
    case TR_TIMER_SET:
        if ((o = rs_row_object(st, rec))) {
            o->timer_inserted = true;
            o->timer_due = rec->a;
            o->timer_period = rec->b;
        }
        break;
    case TR_TIMER_CANCEL:
        if ((o = rs_row_object(st, rec)))
            o->timer_inserted = false;
        break;
    case TR_TIMER_EXPIRE:
        if ((o = rs_row_object(st, rec))) {
            if (o->timer_period > 0)                /* object.c re-arms a periodic timer */
                o->timer_due = o->timer_due <= INT64_MAX - o->timer_period ? o->timer_due + o->timer_period
                                                                           : INT64_MAX;
            else
                o->timer_inserted = false;
        }
        break;
    case TR_FIELD:
        rs_field_row(st, rec);
        break;
    case TR_PRIORITY:
        if ((rt = rs_row_thread(st, rec, rec->thread))) {
            if (rt->k->priority != rec->a)
                rs_disagree(st, rec, "thread %" PRId32 " has priority %d, the row says from=%" PRId64,
                            rt->k->id, rt->k->priority, rec->a);
            rt->k->priority = (int8_t)rec->b;
        }
        break;
    case TR_MODE:
        if ((rt = rs_row_thread(st, rec, rec->thread))) {
            if (rt->k->mode != rec->a)
                rs_disagree(st, rec, "thread %" PRId32 " is in %s, the row says from=%s", rt->k->id,
                            nt_mode_name(rt->k->mode), nt_mode_name((int)rec->a));
            rt->k->mode = (uint8_t)rec->b;
        }
        break;
    case TR_ROUTINE_BEGIN:
        rs_routine(st, rec, true);
        break;
    case TR_ROUTINE_END:
        rs_routine(st, rec, false);
        break;
    case TR_BUGCHECK:
        st->bugchecked = true;
        st->bug_code = rec->obj;
        st->bug_p[0] = rec->a;
        st->bug_p[1] = rec->b;
        st->bug_p[2] = rec->c;
        st->bug_p[3] = rec->d;
        st->bug_thread = rec->thread;
        st->bug_cpu = rec->cpu;
        st->bug_t = rec->t;
        break;
    case TR_APC_INSERT:
        rs_apc_insert(st, rec);
        break;
    case TR_APC_DEQUEUE:
        rs_apc_dequeue(st, rec);
        break;
    case TR_APC_STATE_MOVE:
        rs_apc_state_move(st, rec);
        break;
    case TR_QUANTUM_END:
    case TR_SYSCALL_ENTER:
    case TR_SYSCALL_EXIT:
    case TR_THREAD_EXIT:
    case TR_MARK:
    case TR_EXPECT_FAIL:
    case TR_APC_INIT:
    case TR_APC_REFUSED:
        break;                              /* no state of their own */
    case TR__COUNT:
    default:
        rs_disagree(st, rec, "unknown row kind %" PRId32, rec->kind);
        break;
    }
}

/* ======================================================================
 * Saving and loading the model (checkpoints)
 *
 * One codec walks the model for both directions: writing appends each
 * value, reading overwrites it, so the order of fields cannot differ
 * between save and load. Integers are zigzag LEB128 varints; a count is
 * checked against the bytes left before anything is allocated for it; a
 * damaged string sets `bad` and reads zeros from then on.
 * ====================================================================== */

#define CODEC_MAGIC INT64_C(0x31534c5250534341)     /* "ACSPRLS1" */

typedef struct Codec {
    bool writing;
    GByteArray *out;                /* writing */
    const guint8 *p, *end;          /* reading */
    bool bad;
} Codec;

static void
cv_u64(Codec *c, uint64_t *v)
{
    if (c->writing) {
        uint64_t x = *v;
        guint8 b[10];
        guint n = 0;

        do {
            b[n] = (guint8)(x & 0x7f);
            x >>= 7;
            if (x)
                b[n] |= 0x80;
            n++;
        } while (x);
        g_byte_array_append(c->out, b, n);
        return;
    }

    uint64_t x = 0;
    int shift = 0;

    for (;;) {
        if (c->bad || c->p >= c->end || shift > 63) {
            c->bad = true;
            *v = 0;
            return;
        }
        guint8 b = *c->p++;

        x |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80))
            break;
    }
    *v = x;
}

static void
cv_i64(Codec *c, int64_t *v)
{
    uint64_t z = c->writing ? ((uint64_t)*v << 1) ^ (uint64_t)(*v >> 63) : 0;

    cv_u64(c, &z);
    if (!c->writing)
        *v = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
}

/* A narrower integer through cv_i64, range-checked on reading. */
#define CV_INT(name, type, lo, hi)                                  \
    static void name(Codec *c, type *v)                             \
    {                                                               \
        int64_t x = c->writing ? (int64_t)*v : 0;                   \
        cv_i64(c, &x);                                              \
        if (c->writing)                                             \
            return;                                                 \
        if (x < (lo) || x > (hi)) {                                 \
            c->bad = true;                                          \
            x = 0;                                                  \
        }                                                           \
        *v = (type)x;                                               \
    }
CV_INT(cv_i32, int32_t, INT32_MIN, INT32_MAX)
CV_INT(cv_i16, int16_t, INT16_MIN, INT16_MAX)
CV_INT(cv_i8, int8_t, INT8_MIN, INT8_MAX)
CV_INT(cv_u8, uint8_t, 0, UINT8_MAX)
CV_INT(cv_bool, bool, 0, 1)
#undef CV_INT

/* A count of elements that take at least one byte each. */
static void
cv_count(Codec *c, guint *n)
{
    int64_t x = c->writing ? (int64_t)*n : 0;

    cv_i64(c, &x);
    if (c->writing)
        return;
    if (x < 0 || x > c->end - c->p) {
        c->bad = true;
        x = 0;
    }
    *n = (guint)x;
}

static void
cv_str(Codec *c, char **s)
{
    guint n = c->writing ? (*s ? (guint)strlen(*s) + 1 : 0) : 0;

    cv_count(c, &n);
    if (c->writing) {
        if (n)
            g_byte_array_append(c->out, (const guint8 *)*s, n - 1);
        return;
    }
    g_free(*s);
    *s = NULL;
    if (n == 0 || c->bad)
        return;
    if ((gsize)(c->end - c->p) < n - 1) {
        c->bad = true;
        return;
    }
    *s = g_strndup((const char *)c->p, n - 1);
    c->p += n - 1;
}

static void
cv_ids(Codec *c, GArray **ids)
{
    guint n = c->writing ? ke_snapshot_ids_len(*ids) : 0;

    cv_count(c, &n);
    if (!c->writing && *ids) {
        g_array_free(*ids, TRUE);
        *ids = NULL;
    }
    for (guint i = 0; i < n && !c->bad; i++) {
        int32_t id = c->writing ? g_array_index(*ids, int32_t, i) : 0;

        cv_i32(c, &id);
        if (!c->writing)
            ke_snapshot_ids_append(ids, id);
    }
}

static void
cv_apc(Codec *c, KSNAP_APC *e)
{
    cv_i32(c, &e->id);
    cv_bool(c, &e->special);
    cv_i8(c, &e->environment);
    cv_i32(c, &e->increment);
    cv_i64(c, &e->insert_seq);
    cv_i64(c, &e->insert_t);
    cv_bool(c, &e->at_head);
}

static void
cv_apc_state(Codec *c, KSNAP_APC_STATE *as)
{
    cv_i32(c, &as->process);
    cv_bool(c, &as->kernel_apc_in_progress);
    cv_bool(c, &as->kernel_apc_pending);
    cv_bool(c, &as->user_apc_pending);
    for (int mode = 0; mode < 2; mode++) {
        guint n = c->writing && as->list[mode] ? as->list[mode]->len : 0;

        cv_count(c, &n);
        if (!c->writing && n)
            as->list[mode] = g_array_sized_new(FALSE, TRUE, sizeof(KSNAP_APC), n);
        for (guint i = 0; i < n && !c->bad; i++) {
            KSNAP_APC e = { 0 };

            if (c->writing)
                e = g_array_index(as->list[mode], KSNAP_APC, i);
            cv_apc(c, &e);
            if (!c->writing)
                g_array_append_val(as->list[mode], e);
        }
    }
}

static void
cv_thread(Codec *c, RThread *rt)
{
    KSNAP_THREAD *k = rt->k;

    cv_i32(c, &k->process);
    cv_i32(c, &k->idle_cpu);
    cv_bool(c, &k->system);
    cv_u8(c, &k->state);
    cv_u8(c, &k->wait_reason);
    cv_u8(c, &k->wait_type);
    cv_u8(c, &k->wait_mode);
    cv_u8(c, &k->wait_irql);
    cv_bool(c, &k->alertable);
    cv_i64(c, &k->wait_timeout);
    cv_i64(c, &k->wait_due);
    cv_ids(c, &k->wait_objects);
    cv_u8(c, &k->mode);
    cv_i32(c, &k->cpu);
    cv_i8(c, &k->priority);
    cv_i8(c, &k->base_priority);
    cv_i8(c, &k->quantum);
    cv_i16(c, &k->kernel_apc_disable);
    cv_i16(c, &k->special_apc_disable);
    cv_bool(c, &k->alerted[0]);
    cv_bool(c, &k->alerted[1]);
    cv_u8(c, &k->apc_state_index);
    cv_bool(c, &k->apc_queueable);
    cv_i8(c, &k->suspend_count);
    cv_i8(c, &k->freeze_count);
    cv_bool(c, &k->special_user_apc_pending);
    cv_bool(c, &k->special_apc_in_progress);
    cv_apc_state(c, &k->apc_state);
    cv_apc_state(c, &k->saved_apc_state);
    cv_i32(c, &k->signal_state);
    cv_ids(c, &k->wait_list);
    cv_i32(c, &k->exit_status);
    cv_i64(c, &k->state_t);
    cv_i64(c, &k->switches);
    /* the model's own */
    guint nw = c->writing && rt->waits ? rt->waits->len : 0;

    cv_count(c, &nw);
    if (!c->writing && nw)
        rt->waits = g_array_sized_new(FALSE, TRUE, sizeof(RWait), nw);
    for (guint i = 0; i < nw && !c->bad; i++) {
        RWait w = { 0 };

        if (c->writing)
            w = g_array_index(rt->waits, RWait, i);
        cv_u8(c, &w.type);
        cv_u8(c, &w.mode);
        cv_u8(c, &w.irql);
        cv_bool(c, &w.alertable);
        cv_i64(c, &w.timeout);
        cv_i64(c, &w.due);
        cv_ids(c, &w.objects);
        if (!c->writing)
            g_array_append_val(rt->waits, w);
    }
    cv_i8(c, &rt->sync_from);
    cv_i32(c, &rt->ready_cpu);
    cv_i8(c, &rt->ready_prio);
    cv_i8(c, &rt->switched_out_irql);
    cv_i32(c, &rt->deq_apc);
    cv_u8(c, &rt->deq_flags);

    guint n = c->writing && rt->routines ? rt->routines->len : 0;

    cv_count(c, &n);
    if (!c->writing && n)
        rt->routines = g_array_sized_new(FALSE, TRUE, sizeof(RRoutine), n);
    for (guint i = 0; i < n && !c->bad; i++) {
        RRoutine r = { 0 };

        if (c->writing)
            r = g_array_index(rt->routines, RRoutine, i);
        cv_u8(c, &r.kind);
        cv_u8(c, &r.apc);
        cv_i32(c, &r.owner);
        cv_i64(c, &r.t);
        if (!c->writing)
            g_array_append_val(rt->routines, r);
    }
}

static void
cv_object(Codec *c, KSNAP_OBJECT *o)
{
    cv_u8(c, &o->type);
    cv_i32(c, &o->signal_state);
    cv_ids(c, &o->wait_list);
    cv_i32(c, &o->limit);
    cv_bool(c, &o->mutex);
    cv_i32(c, &o->owner);
    cv_bool(c, &o->abandoned);
    cv_bool(c, &o->timer_inserted);
    cv_i64(c, &o->timer_due);
    cv_i64(c, &o->timer_period);
}

static void
cv_cpu(Codec *c, KSNAP_CPU *k)
{
    int32_t irql = k->irql;

    cv_i32(c, &irql);
    k->irql = irql;
    cv_i32(c, &k->current);
    cv_i32(c, &k->next);
    cv_i32(c, &k->idle);
    cv_u8(c, &k->swint);
    cv_bool(c, &k->dpc_active);
    cv_ids(c, &k->dpc_queue);
    for (int p = 0; p < KSNAP_PRIORITIES; p++)
        cv_ids(c, &k->ready[p]);
}

static gint
cmp_int32(gconstpointer a, gconstpointer b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

    return x < y ? -1 : x > y;
}

/* The whole model, in either direction. On reading, st is a fresh state. */
static void
cv_state(Codec *c, ReplayState *st)
{
    int64_t magic = CODEC_MAGIC, format = REPLAY_CHECKPOINT_FORMAT;

    cv_i64(c, &magic);
    cv_i64(c, &format);
    if (magic != CODEC_MAGIC || format != REPLAY_CHECKPOINT_FORMAT) {
        c->bad = true;
        return;
    }
    cv_i64(c, &st->seq);
    cv_i64(c, &st->t);
    cv_i64(c, &st->seed);
    cv_i64(c, &st->clock_tick);
    cv_i64(c, &st->switch_cost);
    cv_i32(c, &st->quantum);
    cv_str(c, &st->profile);
    cv_bool(c, &st->ended);
    cv_i64(c, &st->stop_reason);
    cv_str(c, &st->stop_text);
    cv_bool(c, &st->bugchecked);
    cv_i64(c, &st->bug_code);
    for (int i = 0; i < 4; i++)
        cv_i64(c, &st->bug_p[i]);
    cv_i64(c, &st->bug_t);
    cv_i32(c, &st->bug_thread);
    cv_i32(c, &st->bug_cpu);
    cv_i64(c, &st->disagreements);
    cv_str(c, &st->first_disagreement);
    cv_i32(c, &st->move_thread);
    cv_i32(c, &st->removed_buffer);

    /* processes */
    GArray *procs = c->writing ? st->processes : NULL;

    cv_ids(c, &procs);
    if (!c->writing && procs) {
        g_array_append_vals(st->processes, procs->data, procs->len);
        g_array_free(procs, TRUE);
    }

    /* CPUs */
    guint ncpus = (guint)st->snap->ncpus;

    cv_count(c, &ncpus);
    if (c->bad || ncpus > KE_MAX_CPUS) {
        c->bad = true;
        return;
    }
    if (!c->writing)
        ke_snapshot_set_cpus(st->snap, (int)ncpus);
    for (guint i = 0; i < ncpus && !c->bad; i++)
        cv_cpu(c, &st->snap->cpu[i]);

    /* threads, by increasing id */
    guint n = st->snap->threads->len;

    cv_count(c, &n);
    for (guint i = 0; i < n && !c->bad; i++) {
        int32_t id = c->writing ? ((KSNAP_THREAD *)g_ptr_array_index(st->snap->threads, i))->id : 0;
        RThread *rt;

        cv_i32(c, &id);
        if (c->writing) {
            rt = rs_thread(st, id);
        } else {
            const GPtrArray *ts = st->snap->threads;

            if (c->bad || (ts->len && ((KSNAP_THREAD *)g_ptr_array_index(ts, ts->len - 1))->id >= id)) {
                c->bad = true;
                break;
            }
            rt = g_new0(RThread, 1);
            rt->k = ke_snapshot_add_thread(st->snap, id);
            g_hash_table_insert(st->threads, GINT_TO_POINTER(id), rt);
        }
        cv_thread(c, rt);
    }

    /* objects, by increasing id */
    n = st->snap->objects->len;
    cv_count(c, &n);
    for (guint i = 0; i < n && !c->bad; i++) {
        KSNAP_OBJECT *o = c->writing ? g_ptr_array_index(st->snap->objects, i) : NULL;
        int32_t id = o ? o->id : 0;

        cv_i32(c, &id);
        if (!c->writing) {
            const GPtrArray *os = st->snap->objects;

            if (c->bad || (os->len && ((KSNAP_OBJECT *)g_ptr_array_index(os, os->len - 1))->id >= id)) {
                c->bad = true;
                break;
            }
            o = ke_snapshot_add_object(st->snap, id);
            g_hash_table_insert(st->objects, GINT_TO_POINTER(id), o);
        }
        cv_object(c, o);
    }

    /* stack-attach buffers, by increasing id (a deterministic byte string) */
    GArray *bids = NULL;

    if (c->writing) {
        GHashTableIter it;
        gpointer key;

        g_hash_table_iter_init(&it, st->buffers);
        while (g_hash_table_iter_next(&it, &key, NULL))
            ke_snapshot_ids_append(&bids, GPOINTER_TO_INT(key));
        if (bids)
            g_array_sort(bids, cmp_int32);
    }
    n = ke_snapshot_ids_len(bids);
    cv_count(c, &n);
    for (guint i = 0; i < n && !c->bad; i++) {
        RBuffer *b = c->writing ? g_hash_table_lookup(st->buffers,
                                                      GINT_TO_POINTER(g_array_index(bids, int32_t, i)))
                                : g_new0(RBuffer, 1);

        cv_i32(c, &b->id);
        cv_i32(c, &b->thread);
        cv_apc_state(c, &b->as);
        if (!c->writing) {
            if (c->bad || g_hash_table_contains(st->buffers, GINT_TO_POINTER(b->id))) {
                c->bad = true;
                rbuffer_free(b);
                break;
            }
            g_hash_table_insert(st->buffers, GINT_TO_POINTER(b->id), b);
        }
    }
    if (bids)
        g_array_free(bids, TRUE);

    int64_t end = CODEC_MAGIC ^ 1;

    cv_i64(c, &end);
    if (end != (CODEC_MAGIC ^ 1))
        c->bad = true;
}

GBytes *
replay_state_save(const ReplayState *st)
{
    Codec c = { .writing = true, .out = g_byte_array_new() };

    cv_state(&c, (ReplayState *)st);        /* writing reads st only */
    return g_byte_array_free_to_bytes(c.out);
}

ReplayState *
replay_state_load(const void *data, gsize len, GError **err)
{
    ReplayState *st = replay_state_new();
    Codec c = { .writing = false, .p = data, .end = (const guint8 *)data + len };

    cv_state(&c, st);
    if (c.bad || c.p != c.end) {
        g_set_error(err, TRACE_ERROR, TRACE_ERR_DAMAGED, "a replay checkpoint is damaged (%" G_GSIZE_FORMAT
                    " bytes, %s)", len, c.bad ? "unreadable" : "trailing bytes");
        replay_state_free(st);
        return NULL;
    }
    return st;
}

/* ======================================================================
 * A trace opened for replay
 * ====================================================================== */

static const char *const name_tables[4] = { "thread", "object", "process", "apc" };

struct Replay {
    sqlite3 *db;
    char *path;
    ReplayState *st;
    sqlite3_stmt *q_rows;           /* rows (?1, ?2] in seq order */
    sqlite3_stmt *q_time;           /* t of one row */
    sqlite3_stmt *q_cp_seq;         /* the nearest usable checkpoint at or before ?1 */
    sqlite3_stmt *q_cp_state;       /* a checkpoint's bytes */
    sqlite3_stmt *q_name[4];        /* name of an id, per name table */
    GHashTable *names[4];           /* id -> char* (NULL: no name), a cache */
    GHashTable *meta;               /* key -> value */
    int64_t last_seq;
    int64_t checkpoints;            /* usable ones */
    ReplaySeekInfo info;
    int64_t now;                    /* the printer's "now" */
};

static int
name_table_index(const char *what)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(what, name_tables[i]) == 0)
            return i;
    return -1;
}

static int
rp_prepare(Replay *r, const char *sql, sqlite3_stmt **st)
{
    return sqlite3_prepare_v3(r->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
}

static bool
rp_query_int(Replay *r, const char *sql, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(r->db, sql, -1, &st, NULL);

    if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return true;
    }
    sqlite3_finalize(st);
    return false;
}

void
replay_close(Replay *r)
{
    if (!r)
        return;
    sqlite3_finalize(r->q_rows);
    sqlite3_finalize(r->q_time);
    sqlite3_finalize(r->q_cp_seq);
    sqlite3_finalize(r->q_cp_state);
    for (int i = 0; i < 4; i++) {
        sqlite3_finalize(r->q_name[i]);
        if (r->names[i])
            g_hash_table_destroy(r->names[i]);
    }
    if (r->meta)
        g_hash_table_destroy(r->meta);
    sqlite3_close(r->db);
    replay_state_free(r->st);
    g_free(r->path);
    g_free(r);
}

/*
 * Opens through trace_open_readonly (its checks and exit statuses) without
 * requiring a complete trace. Reads meta and the number of rows, and
 * whether checkpoints of this build's format are present. No row is read.
 */
Replay *
replay_open(const char *path, int *exit_code, GError **err)
{
    int code = 0;
    sqlite3 *db = trace_open_readonly(path, !trace_allow_partial, &code, err);
    Replay *r;
    sqlite3_stmt *st = NULL;
    int rc;

    if (!db) {
        if (exit_code)
            *exit_code = code;
        return NULL;
    }
    r = g_new0(Replay, 1);
    r->db = db;
    r->path = g_strdup(path);
    r->st = replay_state_new();
    r->meta = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    rc = rp_prepare(r, "SELECT seq, t, kind, cpu, thread, obj, a, b, c, d, e, text FROM event"
                       " WHERE seq > ?1 AND seq <= ?2 ORDER BY seq", &r->q_rows);
    if (rc == SQLITE_OK)
        rc = rp_prepare(r, "SELECT t FROM event WHERE seq = ?1", &r->q_time);
    for (int i = 0; rc == SQLITE_OK && i < 4; i++) {
        char *sql = g_strdup_printf("SELECT name FROM %s WHERE id = ?1", name_tables[i]);

        rc = rp_prepare(r, sql, &r->q_name[i]);
        g_free(sql);
        r->names[i] = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, "SELECT key, value FROM meta", -1, &st, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(st, 0);
        const char *v = (const char *)sqlite3_column_text(st, 1);

        rc = SQLITE_OK;
        if (k)
            g_hash_table_replace(r->meta, g_strdup(k), g_strdup(v ? v : ""));
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        rc = rp_query_int(r, "SELECT coalesce(max(seq), 0) FROM event", &r->last_seq) ? SQLITE_OK : SQLITE_ERROR;
    if (rc != SQLITE_OK) {
        g_set_error(err, TRACE_ERROR, TRACE_ERR_DAMAGED, "%s is damaged: %s", path, sqlite3_errmsg(db));
        if (exit_code)
            *exit_code = TRACE_ERR_DAMAGED;
        replay_close(r);
        return NULL;
    }
    /* Checkpoints are optional: older traces have none. */
    int64_t has = 0;

    if (rp_query_int(r, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'replay_checkpoint'",
                     &has) && has &&
        rp_prepare(r, "SELECT seq FROM replay_checkpoint WHERE seq <= ?1 AND format = ?2"
                      " ORDER BY seq DESC LIMIT 1", &r->q_cp_seq) == SQLITE_OK &&
        rp_prepare(r, "SELECT state FROM replay_checkpoint WHERE seq = ?1", &r->q_cp_state) == SQLITE_OK) {
        char *sql = g_strdup_printf("SELECT count(*) FROM replay_checkpoint WHERE format = %d",
                                    REPLAY_CHECKPOINT_FORMAT);

        if (!rp_query_int(r, sql, &r->checkpoints))
            r->checkpoints = 0;
        g_free(sql);
    }
    if (r->checkpoints == 0) {
        sqlite3_finalize(r->q_cp_seq);
        sqlite3_finalize(r->q_cp_state);
        r->q_cp_seq = r->q_cp_state = NULL;
    }
    r->info.checkpoints = r->checkpoints;
    if (exit_code)
        *exit_code = 0;
    return r;
}

int64_t replay_last_seq(Replay *r) { return r->last_seq; }
void replay_set_now(Replay *r, int64_t t) { r->now = t; }
const ReplayState *replay_state(Replay *r) { return r->st; }

const char *
replay_meta(Replay *r, const char *key)
{
    return g_hash_table_lookup(r->meta, key);
}

void
replay_seek_info(Replay *r, ReplaySeekInfo *out)
{
    *out = r->info;
}

int64_t
replay_time_of(Replay *r, int64_t seq)
{
    int64_t t = -1;

    sqlite3_bind_int64(r->q_time, 1, seq);
    if (sqlite3_step(r->q_time) == SQLITE_ROW)
        t = sqlite3_column_int64(r->q_time, 0);
    sqlite3_reset(r->q_time);
    return t;
}

/* Binary search: t never decreases with seq. */
int64_t
replay_seq_at_time(Replay *r, int64_t t)
{
    int64_t lo = 0, hi = r->last_seq + 1;     /* t(lo) <= t < t(hi), with virtual ends */

    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        int64_t tm = replay_time_of(r, mid);

        if (tm >= 0 && tm <= t)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

const char *
replay_name(Replay *r, const char *what, int32_t id)
{
    int i = name_table_index(what);
    gpointer key = GINT_TO_POINTER(id), value;
    char *name = NULL;

    if (i < 0)
        return NULL;
    if (g_hash_table_lookup_extended(r->names[i], key, NULL, &value))
        return value;
    sqlite3_bind_int(r->q_name[i], 1, id);
    if (sqlite3_step(r->q_name[i]) == SQLITE_ROW && sqlite3_column_type(r->q_name[i], 0) != SQLITE_NULL)
        name = g_strdup((const char *)sqlite3_column_text(r->q_name[i], 0));
    sqlite3_reset(r->q_name[i]);
    g_hash_table_insert(r->names[i], key, name);
    return name;
}

static const char *
rp_name_cb(void *ctx, const char *what, int32_t id)
{
    return replay_name(ctx, what, id);
}

GArray *
replay_threads_named(Replay *r, const char *name)
{
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(int32_t));
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(r->db, "SELECT id FROM thread WHERE name = ?1 ORDER BY id", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW) {
            int32_t id = sqlite3_column_int(st, 0);

            g_array_append_val(ids, id);
        }
    }
    sqlite3_finalize(st);
    return ids;
}

/* Apply rows (st->seq, to]. */
static bool
rp_apply_rows(Replay *r, int64_t to, GError **err)
{
    sqlite3_stmt *q = r->q_rows;
    int rc;

    sqlite3_bind_int64(q, 1, r->st->seq);
    sqlite3_bind_int64(q, 2, to);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (sqlite3_column_type(q, 1) != SQLITE_INTEGER || sqlite3_column_type(q, 2) != SQLITE_INTEGER ||
            sqlite3_column_int(q, 2) < 0 || sqlite3_column_int(q, 2) >= TR__COUNT) {
            g_set_error(err, TRACE_ERROR, TRACE_ERR_DAMAGED,
                        "%s is damaged: event row %lld has a time or kind apcsim never writes", r->path,
                        (long long)sqlite3_column_int64(q, 0));
            sqlite3_reset(q);
            return false;
        }
        KTRACE_RECORD rec = {
            .t = sqlite3_column_int64(q, 1),
            .kind = sqlite3_column_int(q, 2),
            .cpu = sqlite3_column_type(q, 3) == SQLITE_NULL ? -1 : sqlite3_column_int(q, 3),
            .thread = sqlite3_column_type(q, 4) == SQLITE_NULL ? -1 : sqlite3_column_int(q, 4),
            .obj = sqlite3_column_type(q, 5) == SQLITE_NULL ? -1 : sqlite3_column_int(q, 5),
            .a = sqlite3_column_int64(q, 6),
            .b = sqlite3_column_int64(q, 7),
            .c = sqlite3_column_int64(q, 8),
            .d = sqlite3_column_int64(q, 9),
            .e = sqlite3_column_int64(q, 10),
            .text = (const char *)sqlite3_column_text(q, 11),
        };

        replay_state_apply(r->st, sqlite3_column_int64(q, 0), &rec);
        r->info.rows_applied++;
    }
    sqlite3_reset(q);
    if (rc != SQLITE_DONE) {
        g_set_error(err, TRACE_ERROR, TRACE_ERR_DAMAGED, "%s is damaged: %s (reading rows)", r->path,
                    sqlite3_errmsg(r->db));
        return false;
    }
    return true;
}

/* The nearest usable checkpoint at or before seq (0 if none). */
static int64_t
rp_checkpoint_before(Replay *r, int64_t seq)
{
    int64_t cp = 0;

    if (!r->q_cp_seq)
        return 0;
    sqlite3_bind_int64(r->q_cp_seq, 1, seq);
    sqlite3_bind_int(r->q_cp_seq, 2, REPLAY_CHECKPOINT_FORMAT);
    if (sqlite3_step(r->q_cp_seq) == SQLITE_ROW)
        cp = sqlite3_column_int64(r->q_cp_seq, 0);
    sqlite3_reset(r->q_cp_seq);
    return cp;
}

/* Replace the state by checkpoint cp; false if it cannot be read. */
static bool
rp_load_checkpoint(Replay *r, int64_t cp)
{
    ReplayState *st = NULL;

    sqlite3_bind_int64(r->q_cp_state, 1, cp);
    if (sqlite3_step(r->q_cp_state) == SQLITE_ROW)
        st = replay_state_load(sqlite3_column_blob(r->q_cp_state, 0),
                               (gsize)sqlite3_column_bytes(r->q_cp_state, 0), NULL);
    sqlite3_reset(r->q_cp_state);
    if (!st || replay_state_seq(st) != cp) {
        replay_state_free(st);
        return false;
    }
    replay_state_free(r->st);
    r->st = st;
    return true;
}

/*
 * The state after row seq: from the current state if it is at or before
 * seq and no checkpoint lies between the two, else from the nearest
 * checkpoint (a damaged one is skipped: then from the first row). On a read
 * error the state is that of the last row read.
 */
bool
replay_seek(Replay *r, int64_t seq, GError **err)
{
    g_return_val_if_fail(r != NULL && seq >= 0 && seq <= r->last_seq, false);

    int64_t cur = r->st->seq;
    int64_t cp = rp_checkpoint_before(r, seq);

    r->info.rows_applied = 0;
    r->info.from_checkpoint = false;
    if (cur <= seq && cur >= cp) {
        r->info.from_seq = cur;
    } else if (cp > 0 && rp_load_checkpoint(r, cp)) {
        r->info.from_seq = cp;
        r->info.from_checkpoint = true;
    } else {
        replay_state_free(r->st);
        r->st = replay_state_new();
        r->info.from_seq = 0;
    }
    bool ok = rp_apply_rows(r, seq, err);

    r->now = r->st->t;
    return ok;
}

void
replay_snapshot_text(Replay *r, GString *out)
{
    ke_snapshot_format(r->st->snap, rp_name_cb, r, out);
}

/* ======================================================================
 * The printer: !pcr, !thread, !apc in the manner of WinDbg/KD, with names
 * where the debugger shows addresses.
 * ====================================================================== */

void
replay_append_time(GString *out, int64_t ns)
{
    if (ns < 0 || ns == KSNAP_NO_DUE)
        g_string_append(out, "inf");
    else if (ns < 1000)
        g_string_append_printf(out, "%" PRId64 " ns", ns);
    else if (ns < 1000000)
        g_string_append_printf(out, "%.3f us", (double)ns / 1e3);
    else if (ns < 1000000000)
        g_string_append_printf(out, "%.3f ms", (double)ns / 1e6);
    else
        g_string_append_printf(out, "%.3f s", (double)ns / 1e9);
}

static void
pr_name(GString *out, Replay *r, const char *what, int32_t id)
{
    ke_snapshot_append_name(out, rp_name_cb, r, what, id);
}

static void
pr_ids(GString *out, Replay *r, const char *what, const GArray *ids, const char *sep, const char *none)
{
    if (!ids || ids->len == 0) {
        g_string_append(out, none);
        return;
    }
    for (guint i = 0; i < ids->len; i++) {
        if (i)
            g_string_append(out, sep);
        pr_name(out, r, what, g_array_index(ids, int32_t, i));
    }
}

static const char *
tf(bool v)
{
    return v ? "TRUE" : "FALSE";
}

void
replay_print_pcr(Replay *r, int cpu, GString *out)
{
    const KSNAP *s = r->st->snap;

    g_return_if_fail(cpu >= 0 && cpu < s->ncpus);

    const KSNAP_CPU *c = &s->cpu[cpu];
    uint32_t summary = 0;

    g_string_append_printf(out, "KPRCB for Processor %d:\n", cpu);
    g_string_append(out, "    Irql                   ");
    ke_snapshot_append_irql(out, c->irql);
    g_string_append_printf(out, " (%d)\n", c->irql);
    g_string_append(out, "    CurrentThread          ");
    pr_name(out, r, "thread", c->current);
    g_string_append(out, "\n    NextThread             ");
    if (c->next < 0)
        g_string_append(out, "(none)");
    else
        pr_name(out, r, "thread", c->next);
    g_string_append(out, "\n    IdleThread             ");
    pr_name(out, r, "thread", c->idle);
    g_string_append(out, "\n    Software interrupts    ");
    if (!c->swint)
        g_string_append(out, "none requested");
    else
        g_string_append_printf(out, "%s%s%s requested", c->swint & SWINT_DISPATCH ? "DISPATCH_LEVEL" : "",
                               (c->swint & SWINT_DISPATCH) && (c->swint & SWINT_APC) ? " and " : "",
                               c->swint & SWINT_APC ? "APC_LEVEL" : "");
    g_string_append_printf(out, "\n    DpcRoutineActive       %s\n", tf(c->dpc_active));
    g_string_append(out, "    DpcQueue               ");
    pr_ids(out, r, "apc", c->dpc_queue, " -> ", "(empty)");
    g_string_append_c(out, '\n');
    for (int p = 0; p < KSNAP_PRIORITIES; p++)
        if (c->ready[p] && c->ready[p]->len)
            summary |= 1u << p;
    g_string_append_printf(out, "    ReadySummary           0x%08" PRIx32 "\n", summary);
    for (int p = KSNAP_PRIORITIES - 1; p >= 0; p--) {
        if (!(summary & (1u << p)))
            continue;
        g_string_append_printf(out, "    DispatcherReadyListHead[%2d]  ", p);
        pr_ids(out, r, "thread", c->ready[p], " -> ", "");
        g_string_append_c(out, '\n');
    }
}

static const KSNAP_THREAD *
pr_thread(Replay *r, int32_t id)
{
    RThread *rt = rs_thread(r->st, id);

    return rt ? rt->k : NULL;
}

static const char *
apc_kind_text(int mode, bool special)
{
    if (mode == KernelMode)
        return special ? "special kernel APC" : "normal kernel APC";
    return special ? "special user APC" : "user APC";
}

/* The thread's exit APC (T2-T4) if it is queued in its ApcState, else -1.
 * The trace has no row of its own for PsTerminateThread's flag; the exit
 * APC is known by the name apcsim gives it, "<thread>.ExitApc" (terminate.c). */
static int32_t
rp_exit_apc_queued(Replay *r, const KSNAP_THREAD *k)
{
    const char *tname = replay_name(r, "thread", k->id);

    if (!tname)
        return -1;
    g_autofree char *want = g_strdup_printf("%s.ExitApc", tname);
    for (int mode = 0; mode < 2; mode++) {
        const GArray *l = k->apc_state.list[mode];

        for (guint i = 0; l && i < l->len; i++) {
            const char *n = replay_name(r, "apc", g_array_index(l, KSNAP_APC, i).id);

            if (n && strcmp(n, want) == 0)
                return g_array_index(l, KSNAP_APC, i).id;
        }
    }
    return -1;
}

/* The "why:" line under a queued APC (trace/why.c). */
static void
pr_apc_why(GString *out, Replay *r, const KSNAP_THREAD *k, WhyBlock block, int mode, guint index,
           const char *indent)
{
    RThread *rt = rs_thread(r->st, k->id);
    GString *attached = g_string_new(NULL);
    WhyContext ctx = { .win10 = r->st->profile && strcmp(r->st->profile, "win10") == 0 };

    if (rt && rt->routines && rt->routines->len) {
        const RRoutine *top = &g_array_index(rt->routines, RRoutine, rt->routines->len - 1);
        ctx.in_kernel_routine = top->kind == RtKernelRoutine;
        ctx.in_user_apc = top->kind == RtUserApcNormal;
        ctx.running_known = (top->apc & RAPC_KNOWN) != 0;
        ctx.running_user = (top->apc & RAPC_USER) != 0;
        ctx.running_special = (top->apc & RAPC_SPECIAL) != 0;
    }
    ctx.switched_out_irql = rt ? rt->switched_out_irql : -1;
    ctx.exit_apc = rp_exit_apc_queued(r, k);
    ctx.terminating = ctx.exit_apc >= 0;
    pr_name(attached, r, "process", k->apc_state.process);
    ctx.attached_to = attached->str;
    g_string_append_printf(out, "%s    why: ", indent);
    why_apc_queued(out, r->st->snap, k, block, mode, index, &ctx);
    g_string_append_c(out, '\n');
    g_string_free(attached, TRUE);
}

static void
pr_apc_list(GString *out, Replay *r, const KSNAP_THREAD *k, WhyBlock block, const GArray *list, int mode,
            const char *indent)
{
    for (guint i = 0; list && i < list->len; i++) {
        const KSNAP_APC *e = &g_array_index(list, KSNAP_APC, i);

        g_string_append_printf(out, "%sKAPC ", indent);
        pr_name(out, r, "apc", e->id);
        g_string_append_printf(out, "  %s  inserted ", apc_kind_text(mode, e->special));
        replay_append_time(out, e->insert_t);
        g_string_append_printf(out, " (row %" PRId64 ")  %s  increment %" PRId32 "\n", e->insert_seq,
                               nt_env_name(e->environment), e->increment);
        pr_apc_why(out, r, k, block, mode, i, indent);
    }
}

static void
pr_apc_state(GString *out, Replay *r, const KSNAP_THREAD *k, WhyBlock block, const char *label,
             const KSNAP_APC_STATE *as, bool unused)
{
    g_string_append_printf(out, "%-14s ", label);
    if (unused && as->process < 0 && !as->list[0] && !as->list[1]) {
        g_string_append(out, "(not attached: unused)\n");
        return;
    }
    g_string_append(out, "Process ");
    pr_name(out, r, "process", as->process);
    g_string_append_printf(out, "\n               KernelApcInProgress %s  KernelApcPending %s  UserApcPending %s\n",
                           tf(as->kernel_apc_in_progress), tf(as->kernel_apc_pending), tf(as->user_apc_pending));
    for (int mode = 0; mode < 2; mode++) {
        g_string_append_printf(out, "               ApcListHead[%s]%s\n", nt_mode_name(mode),
                               as->list[mode] && as->list[mode]->len ? "" : "  (empty)");
        pr_apc_list(out, r, k, block, as->list[mode], mode, "                   ");
    }
}

void
replay_print_thread(Replay *r, int32_t id, GString *out)
{
    const KSNAP *s = r->st->snap;
    const KSNAP_THREAD *k = pr_thread(r, id);
    RThread *rt = rs_thread(r->st, id);

    if (!k) {
        g_string_append_printf(out, "THREAD #%" PRId32 " does not exist at this point of the trace\n", id);
        return;
    }
    g_string_append(out, "THREAD ");
    pr_name(out, r, "thread", k->id);
    g_string_append_printf(out, "  Cid ");
    pr_name(out, r, "process", k->process);
    g_string_append_printf(out, ".%" PRId32 "  ", k->id);
    switch (k->state) {
    case Running:
        g_string_append_printf(out, "RUNNING on processor %" PRId32 "\n", k->cpu);
        break;
    case Ready:
        g_string_append_printf(out, "READY on processor %" PRId32 "%s\n", rt->ready_cpu >= 0 ? rt->ready_cpu : k->cpu,
                               k->idle_cpu >= 0 ? " (idle thread, not queued)" : "");
        break;
    case Standby:
        for (int i = 0; i < s->ncpus; i++)
            if (s->cpu[i].next == k->id)
                g_string_append_printf(out, "STANDBY on processor %d", i);
        g_string_append_c(out, '\n');
        break;
    case Waiting:
        g_string_append_printf(out, "WAIT: (%s) %s %s\n", nt_wait_reason_name(k->wait_reason),
                               nt_mode_name(k->wait_mode), k->alertable ? "Alertable" : "Non-Alertable");
        if (k->wait_type == WaitDelay || !k->wait_objects || k->wait_objects->len == 0)
            g_string_append(out, "    (a delay: no objects)\n");
        for (guint i = 0; k->wait_objects && i < k->wait_objects->len; i++) {
            int32_t oid = g_array_index(k->wait_objects, int32_t, i);
            KSNAP_OBJECT *o = g_hash_table_lookup(r->st->objects, GINT_TO_POINTER(oid));
            int32_t *sig = rs_signal_state(r->st, oid);

            g_string_append(out, "    ");
            pr_name(out, r, "object", oid);
            g_string_append_printf(out, "  %s  SignalState %" PRId32 "\n",
                                   o ? nt_object_type_name(o->type) : "Thread", sig ? *sig : 0);
        }
        g_string_append_printf(out, "    %s, WaitIrql ", nt_wait_type_name(k->wait_type));
        ke_snapshot_append_irql(out, k->wait_irql);
        g_string_append(out, ", timeout ");
        if (k->wait_timeout < 0) {
            g_string_append(out, "none");
        } else {
            /* the trace does not say whether the machine rounds due times up
             * to the clock tick (snapshot.c, WaitTimeout) */
            replay_append_time(out, k->wait_timeout);
            g_string_append(out, ", due at ");
            replay_append_time(out, k->wait_due);
            g_string_append(out, " with exact timer resolution");
        }
        g_string_append_c(out, '\n');
        break;
    case Terminated:
        g_string_append(out, "TERMINATED  ExitStatus ");
        ke_snapshot_append_status(out, k->exit_status);
        g_string_append_c(out, '\n');
        break;
    default:
        g_string_append_printf(out, "%s\n", nt_state_name(k->state));
        break;
    }
    g_string_append(out, "Owning Process            ");
    pr_name(out, r, "process", k->process);
    g_string_append(out, "\nAttached Process          ");
    if (k->apc_state_index == 0 && k->apc_state.process == k->process)
        g_string_append(out, "N/A");
    else
        pr_name(out, r, "process", k->apc_state.process);
    g_string_append(out, "\nState Since               ");
    replay_append_time(out, k->state_t);
    g_string_append(out, "  (for ");
    replay_append_time(out, r->now - k->state_t);
    g_string_append_printf(out, ")\nContext Switch Count      %-12" PRId64 "  LastProcessor %" PRId32 "\n",
                           k->switches, k->cpu);
    g_string_append_printf(out, "Priority %d  BasePriority %d  Quantum %d  Mode %s", k->priority,
                           k->base_priority, k->quantum, nt_mode_name(k->mode));
    if (k->state == Running && k->cpu >= 0 && k->cpu < s->ncpus) {
        g_string_append(out, "  Irql ");
        ke_snapshot_append_irql(out, s->cpu[k->cpu].irql);
    }
    g_string_append_printf(out, "\nKernelApcDisable %d  SpecialApcDisable %d  ApcQueueable %s\n",
                           k->kernel_apc_disable, k->special_apc_disable, tf(k->apc_queueable));
    g_string_append_printf(out, "Alerted  KernelMode %s  UserMode %s\n", tf(k->alerted[KernelMode]),
                           tf(k->alerted[UserMode]));
    g_string_append_printf(out, "SuspendCount %d  FreezeCount %d  SpecialUserApcPending %s  SpecialApcInProgress %s\n",
                           k->suspend_count, k->freeze_count, tf(k->special_user_apc_pending),
                           tf(k->special_apc_in_progress));
    if (k->wait_list && k->wait_list->len) {
        g_string_append(out, "Waited on by              ");
        pr_ids(out, r, "thread", k->wait_list, ", ", "");
        g_string_append_c(out, '\n');
    }
    if (rt->routines && rt->routines->len) {
        g_string_append(out, "Running routines          ");
        for (guint i = 0; i < rt->routines->len; i++) {
            const RRoutine *x = &g_array_index(rt->routines, RRoutine, i);

            g_string_append_printf(out, "%s%s", i ? " > " : "", nt_routine_name(x->kind));
            if (x->owner >= 0) {
                g_string_append_c(out, '(');
                pr_name(out, r, "apc", x->owner);
                g_string_append_c(out, ')');
            }
        }
        g_string_append(out, "\n");
    }
    g_string_append_printf(out, "ApcStateIndex %d (%s)\n", k->apc_state_index,
                           k->apc_state_index ? "attached: OriginalApcEnvironment is SavedApcState"
                                              : "not attached");
    pr_apc_state(out, r, k, WHY_APC_STATE, "ApcState", &k->apc_state, false);
    pr_apc_state(out, r, k, WHY_SAVED_APC_STATE, "SavedApcState", &k->saved_apc_state, k->apc_state_index == 0);

    /* KAPC_STATEs saved in KeStackAttachProcess buffers (E3): no index
     * addresses them until the matching KeUnstackDetachProcess */
    GArray *bids = NULL;
    GHashTableIter it;
    gpointer key, v;

    g_hash_table_iter_init(&it, r->st->buffers);
    while (g_hash_table_iter_next(&it, &key, &v))
        if (((RBuffer *)v)->thread == id)
            ke_snapshot_ids_append(&bids, GPOINTER_TO_INT(key));
    if (bids)
        g_array_sort(bids, cmp_int32);
    for (guint i = 0; bids && i < bids->len; i++) {
        RBuffer *b = g_hash_table_lookup(r->st->buffers, GINT_TO_POINTER(g_array_index(bids, int32_t, i)));
        char label[32];

        g_snprintf(label, sizeof label, "StackBuffer#%" PRId32, b->id);
        pr_apc_state(out, r, k, WHY_STACK_BUFFER, label, &b->as, false);
    }
    if (bids)
        g_array_free(bids, TRUE);
}

void
replay_print_apcs(Replay *r, int32_t thread, GString *out)
{
    const KSNAP *s = r->st->snap;
    bool any = false;

    g_string_append_printf(out, "*** Enumerating APCs in %s\n", thread < 0 ? "all threads" : "one thread");
    for (guint i = 0; i < s->threads->len; i++) {
        const KSNAP_THREAD *k = g_ptr_array_index(s->threads, i);
        const KSNAP_APC_STATE *blocks[2] = { &k->apc_state, &k->saved_apc_state };
        static const char *const labels[2] = { "ApcState", "SavedApcState" };

        if (thread >= 0 && k->id != thread)
            continue;
        for (int b = 0; b < 2; b++) {
            for (int mode = 0; mode < 2; mode++) {
                const GArray *l = blocks[b]->list[mode];

                if (!l || l->len == 0)
                    continue;
                any = true;
                g_string_append(out, "Thread ");
                pr_name(out, r, "thread", k->id);
                g_string_append_printf(out, "  ApcStateIndex %d  %s.ApcListHead[%s]  (process ", k->apc_state_index,
                                       labels[b], mode == KernelMode ? "KERNEL" : "USER");
                pr_name(out, r, "process", blocks[b]->process);
                g_string_append_printf(out, ")%s\n", blocks[b]->kernel_apc_pending && mode == KernelMode
                                                         ? "  KernelApcPending"
                                                     : blocks[b]->user_apc_pending && mode == UserMode
                                                         ? "  UserApcPending" : "");
                pr_apc_list(out, r, k, b ? WHY_SAVED_APC_STATE : WHY_APC_STATE, l, mode, "    ");
            }
        }
    }
    if (!any)
        g_string_append(out, "No APCs queued.\n");
}

void
replay_print_objects(Replay *r, GString *out)
{
    const KSNAP *s = r->st->snap;

    g_string_append(out, "Dispatcher objects:\n");
    if (s->objects->len == 0)
        g_string_append(out, "    (none)\n");
    for (guint i = 0; i < s->objects->len; i++) {
        const KSNAP_OBJECT *o = g_ptr_array_index(s->objects, i);
        GString *name = g_string_new(NULL);

        pr_name(name, r, "object", o->id);
        g_string_append_printf(out, "    %-24s %-22s SignalState %-4" PRId32, name->str,
                               nt_object_type_name(o->type), o->signal_state);
        g_string_free(name, TRUE);
        switch (o->type) {
        case SemaphoreObject:
            g_string_append_printf(out, " Limit %" PRId32, o->limit);
            break;
        case MutantObject:
            g_string_append(out, " Owner ");
            pr_name(out, r, "thread", o->owner);
            g_string_append_printf(out, "%s%s", o->abandoned ? " Abandoned" : "", o->mutex ? " (KMUTEX)" : "");
            break;
        case TimerNotificationObject:
        case TimerSynchronizationObject:
            if (o->timer_inserted) {
                g_string_append(out, " due ");
                replay_append_time(out, o->timer_due);
                if (o->timer_period) {
                    g_string_append(out, " period ");
                    replay_append_time(out, o->timer_period);
                }
            } else {
                g_string_append(out, " not set");
            }
            break;
        default:
            break;
        }
        if (o->wait_list && o->wait_list->len) {
            g_string_append(out, "  Waiters: ");
            pr_ids(out, r, "thread", o->wait_list, ", ", "");
        }
        g_string_append_c(out, '\n');
    }
}

/* ======================================================================
 * Checkpoints
 * ====================================================================== */

struct ReplayCheckpointer {
    ReplayState *st;
    int64_t min_rows;
    int64_t next_due;               /* the seq at which the next one is written */
    int64_t count, bytes;
    bool table_ready;
};

static const char checkpoint_table_sql[] =
    "CREATE TABLE IF NOT EXISTS replay_checkpoint(seq INTEGER PRIMARY KEY, format INTEGER NOT NULL,"
    " state BLOB NOT NULL)";

ReplayCheckpointer *
replay_checkpointer_new(int64_t min_rows)
{
    ReplayCheckpointer *cp = g_new0(ReplayCheckpointer, 1);

    cp->st = replay_state_new();
    cp->min_rows = min_rows > 0 ? min_rows : REPLAY_CHECKPOINT_MIN_ROWS;
    cp->next_due = cp->min_rows;
    return cp;
}

void
replay_checkpointer_free(ReplayCheckpointer *cp)
{
    if (!cp)
        return;
    replay_state_free(cp->st);
    g_free(cp);
}

int64_t replay_checkpointer_count(const ReplayCheckpointer *cp) { return cp->count; }
int64_t replay_checkpointer_bytes(const ReplayCheckpointer *cp) { return cp->bytes; }

int
replay_checkpoint_rows(ReplayCheckpointer *cp, sqlite3 *db, int64_t seq, const KTRACE_RECORD *rec)
{
    sqlite3_stmt *ins = NULL;
    GBytes *state;
    gsize len;
    const void *data;
    int rc = SQLITE_OK;

    replay_state_apply(cp->st, seq, rec);
    if (seq < cp->next_due)
        return SQLITE_OK;
    if (!cp->table_ready) {
        rc = sqlite3_exec(db, checkpoint_table_sql, NULL, NULL, NULL);
        if (rc != SQLITE_OK)
            return rc;
        cp->table_ready = true;
    }
    state = replay_state_save(cp->st);
    data = g_bytes_get_data(state, &len);
    rc = sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO replay_checkpoint(seq, format, state) VALUES(?1, ?2, ?3)",
                            -1, &ins, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(ins, 1, seq);
        sqlite3_bind_int(ins, 2, REPLAY_CHECKPOINT_FORMAT);
        sqlite3_bind_blob64(ins, 3, data, len, SQLITE_STATIC);
        rc = sqlite3_step(ins);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    sqlite3_finalize(ins);
    if (rc == SQLITE_OK) {
        cp->count++;
        cp->bytes += (int64_t)len;
    }
    /* The next one after at least min_rows rows, and after enough rows that
     * the saved states stay a small part of the trace. */
    cp->next_due = seq + MAX(cp->min_rows, (int64_t)len / REPLAY_CHECKPOINT_BYTES_PER_ROW);
    g_bytes_unref(state);
    return rc;
}

/*
 * Checks the trace as replay_open does, then reopens it read-write and, in
 * one transaction, replaces its replay_checkpoint table with checkpoints
 * made from its rows. Nothing changes if any step fails.
 */
int
replay_index(const char *path, int64_t min_rows, int64_t *count, GError **err)
{
    int code = 0;
    sqlite3 *db = trace_open_readonly(path, !trace_allow_partial, &code, err);
    sqlite3_stmt *q = NULL;
    ReplayCheckpointer *cp;
    int rc;

    if (!db)
        return code;
    sqlite3_close(db);
    db = NULL;
    rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "BEGIN IMMEDIATE; DROP TABLE IF EXISTS replay_checkpoint;", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, "SELECT seq, t, kind, cpu, thread, obj, a, b, c, d, e, text FROM event"
                                    " ORDER BY seq", -1, &q, NULL);
    cp = replay_checkpointer_new(min_rows);
    while (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        KTRACE_RECORD rec = {
            .t = sqlite3_column_int64(q, 1),
            .kind = sqlite3_column_int(q, 2),
            .cpu = sqlite3_column_type(q, 3) == SQLITE_NULL ? -1 : sqlite3_column_int(q, 3),
            .thread = sqlite3_column_type(q, 4) == SQLITE_NULL ? -1 : sqlite3_column_int(q, 4),
            .obj = sqlite3_column_type(q, 5) == SQLITE_NULL ? -1 : sqlite3_column_int(q, 5),
            .a = sqlite3_column_int64(q, 6),
            .b = sqlite3_column_int64(q, 7),
            .c = sqlite3_column_int64(q, 8),
            .d = sqlite3_column_int64(q, 9),
            .e = sqlite3_column_int64(q, 10),
            .text = (const char *)sqlite3_column_text(q, 11),
        };

        rc = replay_checkpoint_rows(cp, db, sqlite3_column_int64(q, 0), &rec);
    }
    if (rc == SQLITE_DONE)
        rc = SQLITE_OK;
    sqlite3_finalize(q);
    /* A trace too short for any checkpoint still gets the (empty) table: it
     * says "indexed" to whoever looks. */
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, checkpoint_table_sql, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        g_set_error(err, TRACE_ERROR, TRACE_ERR_WRITE, "cannot add checkpoints to %s: %s", path,
                    db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        if (db && !sqlite3_get_autocommit(db))
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
    if (count)
        *count = rc == SQLITE_OK ? cp->count : 0;
    replay_checkpointer_free(cp);
    sqlite3_close(db);
    return rc == SQLITE_OK ? 0 : TRACE_ERR_WRITE;
}
