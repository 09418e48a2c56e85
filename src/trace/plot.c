/*
 * plot.c - the timeline of a trace and the gnuplot chart drawn from it.
 *
 * What it models. A trace is a list of transitions; a chart needs intervals.
 * The loader (first half) folds the rows that matter for a timeline, in seq
 * order, into a PlotTimeline (plot.h): thread states from THREAD_STATE,
 * what ran on each CPU from CONTEXT_SWITCH (plus the first Running of each
 * idle thread, which has no switch), routine executions from
 * ROUTINE_BEGIN/ROUTINE_END paired on a stack per thread, IRQL steps from
 * IRQL rows, and APC_INSERT, MARK and BUGCHECK as instants. Nothing else is
 * read (FIELD, WAIT_*, SWINT_*, ... do not change a timeline). export.c
 * reuses the model.
 *
 * The chart (second half) is one gnuplot plot with categorical lanes, top to
 * bottom: a band of mark() labels, thread lanes (or aggregated lanes, see
 * the rule in plot.h), then per CPU a lane for the running thread and a lane
 * for its IRQL. Everything is placed in C, in pixels of a fixed-size image,
 * so that the decisions that keep the chart readable (which labels fit in a
 * bar, how markers that collide are pushed apart or counted, which mark
 * labels fit in which row, how wide an instant is drawn) are made once, are
 * deterministic, and show up in the data files the goldens compare. The
 * script only maps columns to boxes, steps, points and labels:
 *
 *   states.dat     thread and aggregated lanes: boxes, one block per state
 *                  category (Running, Ready, Waiting:<reason>, ...)
 *   cpus.dat       CPU lanes: the running thread's box, colour per thread
 *                  (a narrow box the next one covers is left out: chart_cpus)
 *   routines.dat   routine strips (DPC, KernelRoutine, ...), one block per
 *                  kind, in CPU lanes and in the thread's lane
 *   irql.dat       one step line per CPU (blocks separated by a blank line);
 *                  a half-pixel column of many steps as five (irql_flush)
 *   glyphs.dat     markers: APC insertion, routine starts, marks; one block
 *                  per kind; t_shown differs from t when a marker was pushed
 *                  right to avoid another
 *   texts.dat      labels inside bars (thread names, wait reasons) and "+N"
 *                  counts of markers that did not fit
 *   marks.dat      mark() and bugcheck labels in the band, with leaders.dat
 *
 * Times are integer nanoseconds in the files; the script divides by the
 * unit it shows (µs up to 5 ms, ms up to 5 s, else s). y is in lane units
 * (lane i from the top spans [N-1-i, N-i]).
 *
 * Rejected: one gnuplot plot per lane with multiplot (hundreds of plots for
 * 200 threads, and axes that cannot share a legend); letting gnuplot place
 * labels (it overprints them); a template with placeholders (the script is
 * mostly per-trace lists: lane labels, legend entries, plot clauses).
 */
#include "trace/plot.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ke/ktrace.h"
#include "ke/ntdef.h"
#include "trace/store.h"

G_DEFINE_QUARK(apcsim-plot-error-quark, plot_error)

/* ======================================================================== */
/* The timeline                                                             */
/* ======================================================================== */

typedef struct ThreadTrack {
    int32_t state, reason;
    int64_t since;
    GArray *stack;              /* int32 indices into routines: the open ones */
    int32_t pending_run;        /* run whose prev_state awaits this thread's next
                                 * THREAD_STATE from Running, -1 */
} ThreadTrack;

typedef struct CpuTrack {
    int32_t run;                /* open run, -1 */
    bool irql_seen;
} CpuTrack;

typedef struct Loader {
    PlotTimeline *tl;
    const char *path;
    GHashTable *thread_ix;      /* id -> index + 1 */
    GHashTable *process_ix;     /* id -> index + 1 */
    GHashTable *thread_names;   /* id -> name */
    GHashTable *process_names;  /* id -> name */
    GArray *tracks;             /* ThreadTrack, parallel to tl->threads */
    GArray *cpus;               /* CpuTrack */
} Loader;

static void
thread_free(gpointer p)
{
    PlotThread *t = p;

    g_free(t->name);
    g_free(t);
}

static void
process_free(gpointer p)
{
    PlotProcess *pr = p;

    g_free(pr->name);
    g_free(pr);
}

static void
instant_clear(gpointer p)
{
    g_free(((PlotInstant *)p)->text);
}

void
plot_timeline_free(PlotTimeline *tl)
{
    if (!tl)
        return;
    g_hash_table_unref(tl->meta);
    g_ptr_array_unref(tl->processes);
    g_ptr_array_unref(tl->threads);
    g_hash_table_unref(tl->apc_names);
    g_array_unref(tl->states);
    g_array_unref(tl->runs);
    g_array_unref(tl->routines);
    g_array_unref(tl->irql);
    g_array_unref(tl->instants);
    g_free(tl);
}

static PlotTimeline *
timeline_new(void)
{
    PlotTimeline *tl = g_new0(PlotTimeline, 1);

    tl->meta = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    tl->processes = g_ptr_array_new_with_free_func(process_free);
    tl->threads = g_ptr_array_new_with_free_func(thread_free);
    tl->apc_names = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    tl->states = g_array_new(FALSE, FALSE, sizeof(PlotState));
    tl->runs = g_array_new(FALSE, FALSE, sizeof(PlotRun));
    tl->routines = g_array_new(FALSE, FALSE, sizeof(PlotRoutine));
    tl->irql = g_array_new(FALSE, FALSE, sizeof(PlotIrql));
    tl->instants = g_array_new(FALSE, FALSE, sizeof(PlotInstant));
    g_array_set_clear_func(tl->instants, instant_clear);
    return tl;
}

const char *
plot_timeline_apc_name(const PlotTimeline *tl, int32_t id)
{
    const char *name;

    if (id == -1)
        return "-";
    name = g_hash_table_lookup(tl->apc_names, GINT_TO_POINTER(id));
    if (!name) {
        /* Remember a "#id" so that the returned string lives as long as tl. */
        char *s = g_strdup_printf("#%" PRId32, id);

        g_hash_table_insert(tl->apc_names, GINT_TO_POINTER(id), s);
        name = s;
    }
    return name;
}

static int
damaged(GError **err, const char *path, sqlite3 *db, const char *what)
{
    g_set_error(err, TRACE_ERROR, TRACE_ERR_DAMAGED, "%s is damaged: %s (reading %s)", path,
                sqlite3_errmsg(db), what);
    return TRACE_ERR_DAMAGED;
}

/* Read "SELECT id, name FROM <table>" into a hash id -> name. */
static int
load_names(sqlite3 *db, const char *path, const char *table, GHashTable *into, GError **err)
{
    char *sql = g_strdup_printf("SELECT id, name FROM %s", table);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

    g_free(sql);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *name = sqlite3_column_text(st, 1);
        int64_t id = sqlite3_column_int64(st, 0);

        rc = SQLITE_OK;
        if (name && id >= INT32_MIN && id <= INT32_MAX)
            g_hash_table_insert(into, GINT_TO_POINTER((int32_t)id), g_strdup((const char *)name));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return damaged(err, path, db, table);
    return 0;
}

static int
load_meta(sqlite3 *db, const char *path, GHashTable *meta, GError **err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT key, value FROM meta", -1, &st, NULL);

    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *k = sqlite3_column_text(st, 0), *v = sqlite3_column_text(st, 1);

        rc = SQLITE_OK;
        if (k)
            g_hash_table_replace(meta, g_strdup((const char *)k), g_strdup(v ? (const char *)v : ""));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return damaged(err, path, db, "meta");
    return 0;
}

static CpuTrack *
cpu_track(Loader *L, int32_t cpu)
{
    g_assert(cpu >= 0);
    while ((int32_t)L->cpus->len <= cpu) {
        CpuTrack c = { .run = -1, .irql_seen = false };

        g_array_append_val(L->cpus, c);
    }
    if (L->tl->ncpus <= cpu)
        L->tl->ncpus = cpu + 1;
    return &g_array_index(L->cpus, CpuTrack, cpu);
}

static int32_t
process_index(Loader *L, int32_t id)
{
    gpointer v;
    PlotProcess *p;

    if (id < 0)
        return -1;
    v = g_hash_table_lookup(L->process_ix, GINT_TO_POINTER(id));
    if (v)
        return GPOINTER_TO_INT(v) - 1;
    p = g_new0(PlotProcess, 1);
    p->id = id;
    p->name = g_strdup(g_hash_table_lookup(L->process_names, GINT_TO_POINTER(id)));
    if (!p->name)
        p->name = g_strdup_printf("#%" PRId32, id);
    g_ptr_array_add(L->tl->processes, p);
    g_hash_table_insert(L->process_ix, GINT_TO_POINTER(id), GINT_TO_POINTER((int)L->tl->processes->len));
    return (int32_t)L->tl->processes->len - 1;
}

/* The index of thread `id`, created on first sight (a row may name a thread
 * whose THREAD_CREATE the trace lacks). -1 for id -1. */
static int32_t
thread_index(Loader *L, int32_t id, int64_t t)
{
    gpointer v;
    PlotThread *th;
    ThreadTrack tr = { .state = Initialized, .reason = -1, .since = t, .pending_run = -1 };

    if (id < 0)
        return -1;
    v = g_hash_table_lookup(L->thread_ix, GINT_TO_POINTER(id));
    if (v)
        return GPOINTER_TO_INT(v) - 1;
    th = g_new0(PlotThread, 1);
    th->id = id;
    th->name = g_strdup(g_hash_table_lookup(L->thread_names, GINT_TO_POINTER(id)));
    if (!th->name)
        th->name = g_strdup_printf("#%" PRId32, id);
    th->process = -1;
    th->idle_cpu = -1;
    th->created = t;
    g_ptr_array_add(L->tl->threads, th);
    tr.stack = g_array_new(FALSE, FALSE, sizeof(int32_t));
    g_array_append_val(L->tracks, tr);
    g_hash_table_insert(L->thread_ix, GINT_TO_POINTER(id), GINT_TO_POINTER((int)L->tl->threads->len));
    return (int32_t)L->tl->threads->len - 1;
}

static ThreadTrack *
track(Loader *L, int32_t ix)
{
    return &g_array_index(L->tracks, ThreadTrack, ix);
}

static void
run_open(Loader *L, int32_t cpu, int32_t thread, int32_t prev, int64_t t)
{
    CpuTrack *c = cpu_track(L, cpu);
    PlotRun r = { .t0 = t, .t1 = -1, .cpu = cpu, .thread = thread, .prev = prev,
                  .prev_state = -1, .prev_reason = -1 };

    if (c->run >= 0)
        g_array_index(L->tl->runs, PlotRun, c->run).t1 = t;
    c->run = -1;
    if (thread < 0)
        return;
    g_array_append_val(L->tl->runs, r);
    c->run = (int32_t)L->tl->runs->len - 1;
}

/* CONTEXT_SWITCH: cpu, a = thread switched out, b = thread switched in. The
 * old thread's new state is known if its THREAD_STATE row came first (a
 * wait), else it comes right after the switch (a preemption). */
static void
on_switch(Loader *L, int64_t t, int32_t cpu, int32_t from_id, int32_t to_id)
{
    int32_t from = thread_index(L, from_id, t), to = thread_index(L, to_id, t);
    PlotRun *r;

    if (cpu < 0)
        return;
    run_open(L, cpu, to, from, t);
    if (to < 0 || from < 0)
        return;
    r = &g_array_index(L->tl->runs, PlotRun, cpu_track(L, cpu)->run);
    if (track(L, from)->state != Running) {
        r->prev_state = track(L, from)->state;
        r->prev_reason = track(L, from)->reason;
    } else {
        track(L, from)->pending_run = cpu_track(L, cpu)->run;
    }
}

static void
state_close(Loader *L, int32_t ix, int64_t t)
{
    ThreadTrack *tr = track(L, ix);

    if (tr->state != Initialized && t > tr->since) {
        PlotState s = { .t0 = tr->since, .t1 = t, .thread = ix, .state = tr->state, .reason = tr->reason };

        g_array_append_val(L->tl->states, s);
    }
    tr->since = t;
}

/* THREAD_STATE: thread, a = from, b = to, c = wait reason (b == Waiting). */
static void
on_state(Loader *L, int64_t t, int32_t cpu, int32_t id, int64_t from, int64_t to, int64_t reason)
{
    int32_t ix = thread_index(L, id, t);
    ThreadTrack *tr;

    if (ix < 0)
        return;
    state_close(L, ix, t);
    tr = track(L, ix);
    tr->state = (int32_t)to;
    tr->reason = to == Waiting ? (int32_t)reason : -1;
    if (tr->pending_run >= 0 && from == Running) {
        PlotRun *r = &g_array_index(L->tl->runs, PlotRun, tr->pending_run);

        r->prev_state = tr->state;
        r->prev_reason = tr->reason;
        tr->pending_run = -1;
    }
    /* The first Running of an idle thread has no CONTEXT_SWITCH; neither
     * would a thread put on a CPU without one (kept robust). */
    if (to == Running && cpu >= 0) {
        CpuTrack *c = cpu_track(L, cpu);

        if (c->run < 0 || g_array_index(L->tl->runs, PlotRun, c->run).thread != ix)
            run_open(L, cpu, ix, c->run >= 0 ? g_array_index(L->tl->runs, PlotRun, c->run).thread : -1, t);
    }
}

/* Close routine `ri` and every routine above it on its thread's stack. */
static void
routine_close_at(Loader *L, GArray *stack, guint pos, int64_t t)
{
    for (guint i = stack->len; i-- > pos;) {
        PlotRoutine *r = &g_array_index(L->tl->routines, PlotRoutine, g_array_index(stack, int32_t, i));

        r->t1 = t;
        if (i > pos)
            r->unfinished = true;
    }
    g_array_set_size(stack, pos);
}

static bool
routine_end_in(Loader *L, int32_t ix, int32_t obj, int32_t kind, int64_t t)
{
    GArray *stack = track(L, ix)->stack;

    for (guint i = stack->len; i-- > 0;) {
        PlotRoutine *r = &g_array_index(L->tl->routines, PlotRoutine, g_array_index(stack, int32_t, i));

        if (r->obj == obj && r->kind == kind) {
            routine_close_at(L, stack, i, t);
            return true;
        }
    }
    return false;
}

static void
on_routine_end(Loader *L, int64_t t, int32_t id, int32_t obj, int32_t kind)
{
    int32_t ix = thread_index(L, id, t);

    if (ix >= 0 && routine_end_in(L, ix, obj, kind, t))
        return;
    /* Not on its own thread's stack: look on the others (an END that names
     * another thread than its BEGIN); an END with no BEGIN is ignored. */
    for (guint i = 0; i < L->tracks->len; i++)
        if ((int32_t)i != ix && routine_end_in(L, (int32_t)i, obj, kind, t))
            return;
}

static void
on_routine_begin(Loader *L, int64_t t, int64_t seq, int32_t cpu, int32_t id, int32_t obj,
                 int64_t kind, int64_t irql, int64_t mode)
{
    int32_t ix = thread_index(L, id, t);
    PlotRoutine r = { .t0 = t, .t1 = -1, .seq = seq, .cpu = cpu, .thread = ix, .obj = obj,
                      .kind = (int32_t)kind, .irql = (int32_t)irql, .mode = (int32_t)mode,
                      .depth = 0, .parent = -1 };
    int32_t ri = (int32_t)L->tl->routines->len;

    if (ix < 0)
        return;     /* no thread context: nothing to nest it in (never seen) */
    GArray *stack = track(L, ix)->stack;

    r.depth = (int32_t)stack->len;
    if (stack->len)
        r.parent = g_array_index(stack, int32_t, stack->len - 1);
    g_array_append_val(L->tl->routines, r);
    g_array_append_val(stack, ri);
}

static void
on_irql(Loader *L, int64_t t, int32_t cpu, int64_t from, int64_t to)
{
    CpuTrack *c;
    PlotIrql q = { .t = 0, .cpu = cpu, .level = (int32_t)from };

    if (cpu < 0)
        return;
    c = cpu_track(L, cpu);
    if (!c->irql_seen) {
        /* The level before the first change held since the start. */
        g_array_append_val(L->tl->irql, q);
        c->irql_seen = true;
    }
    q.t = t;
    q.level = (int32_t)to;
    g_array_append_val(L->tl->irql, q);
}

static void
on_instant(Loader *L, int kind, int64_t t, int64_t seq, int32_t cpu, int32_t thread_id, int32_t obj,
           const int64_t f[5], const unsigned char *text)
{
    PlotInstant in = { .t = t, .seq = seq, .kind = kind, .cpu = cpu,
                       .thread = thread_index(L, thread_id, t), .obj = obj,
                       .a = f[0], .b = f[1], .c = f[2], .d = f[3], .e = f[4],
                       .text = text ? g_strdup((const char *)text) : NULL };

    g_array_append_val(L->tl->instants, in);
}

/* Close whatever is open at the end of the trace. */
static void
loader_finish(Loader *L)
{
    PlotTimeline *tl = L->tl;

    for (guint i = 0; i < L->tracks->len; i++) {
        ThreadTrack *tr = track(L, (int32_t)i);

        if (tl->t_end > tr->since)
            state_close(L, (int32_t)i, tl->t_end);
        /* Routines still running when the trace ends. */
        for (guint k = 0; k < tr->stack->len; k++) {
            PlotRoutine *r = &g_array_index(tl->routines, PlotRoutine, g_array_index(tr->stack, int32_t, k));

            r->t1 = tl->t_end;
            r->unfinished = true;
        }
        g_array_set_size(tr->stack, 0);
    }
    for (guint i = 0; i < L->cpus->len; i++) {
        CpuTrack *c = &g_array_index(L->cpus, CpuTrack, i);

        if (c->run >= 0)
            g_array_index(tl->runs, PlotRun, c->run).t1 = tl->t_end;
        c->run = -1;
    }
    for (int cpu = 0; cpu < tl->ncpus; cpu++) {
        if (!cpu_track(L, cpu)->irql_seen) {
            PlotIrql q = { .t = 0, .cpu = cpu, .level = PASSIVE_LEVEL };

            g_array_append_val(tl->irql, q);
        }
    }
}

static void
track_clear(gpointer p)
{
    g_array_unref(((ThreadTrack *)p)->stack);
}

/* Progress on a terminal for long reads and draws (a 10-million-row trace
 * takes seconds): nothing in the first second (APCSIM_PROGRESS_DELAY_MS),
 * then one line on stderr,
 * rewritten at most twice a second and cleared at the end. */
static struct {
    gint64 t0, last, delay;
    bool tty, shown;
} progress;

static void
progress_begin(void)
{
    const char *d = g_getenv("APCSIM_PROGRESS_DELAY_MS");      /* tests: 0 */

    progress.t0 = progress.last = g_get_monotonic_time();
    progress.delay = d ? g_ascii_strtoll(d, NULL, 10) * 1000 : G_USEC_PER_SEC;
    progress.tty = isatty(STDERR_FILENO);
    progress.shown = false;
}

static void progress_say(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static void
progress_say(const char *fmt, ...)
{
    gint64 now = g_get_monotonic_time();
    va_list ap;

    if (!progress.tty || now - progress.t0 < progress.delay || (progress.shown && now - progress.last < 500000))
        return;
    progress.last = now;
    progress.shown = true;
    fputs("\r  ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" ...      ", stderr);
    fflush(stderr);
}

static void
progress_end(void)
{
    if (progress.shown)
        fprintf(stderr, "\r%70s\r", "");
    progress.shown = false;
}

/* An integer column, or def when it is NULL. */
static int32_t
col_int_or(sqlite3_stmt *st, int i, int32_t def)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? def : (int32_t)sqlite3_column_int64(st, i);
}

static int
load_events(Loader *L, sqlite3 *db, GError **err)
{
    PlotTimeline *tl = L->tl;
    /* Every row, for the row check (trace_row_check) in the same pass; only
     * the kinds below are drawn. */
    static const int check_col[TRACE_CHECK_COLS] = { 0, 1, 2, 12, 3, 4 };
    const char *sql =
        "SELECT seq, t, kind, cpu, thread, obj, a, b, c, d, e, text, " TRACE_KIND_KNOWN_SQL
        " FROM event ORDER BY seq";
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    int64_t last_t = 0;
    bool have_end = false;
    TraceRowCheck check;
    int code = trace_row_check_begin(db, L->path, &check, err);
    const char *total = g_hash_table_lookup(tl->meta, "events");     /* for the progress line only */

    while (code == 0 && rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        rc = SQLITE_OK;
        if ((code = trace_row_check(&check, st, check_col, err)) != 0)
            break;
        if ((check.expect_seq & 0xFFFF) == 0)
            progress_say("reading the trace: %" PRId64 " of %s rows", check.expect_seq - 1, total ? total : "?");
        int64_t kind = sqlite3_column_int64(st, 2);
        if (kind != TR_RUN_BEGIN && kind != TR_RUN_END && kind != TR_PROCESS_CREATE && kind != TR_THREAD_CREATE &&
            kind != TR_THREAD_STATE && kind != TR_CONTEXT_SWITCH && kind != TR_IRQL && kind != TR_ROUTINE_BEGIN &&
            kind != TR_ROUTINE_END && kind != TR_APC_INSERT && kind != TR_MARK && kind != TR_BUGCHECK)
            continue;
        int64_t seq = sqlite3_column_int64(st, 0), t = sqlite3_column_int64(st, 1);
        int32_t cpu = col_int_or(st, 3, -1), thread = col_int_or(st, 4, -1), obj = col_int_or(st, 5, -1);
        int64_t f[5];
        int32_t ix;

        for (int i = 0; i < 5; i++)
            f[i] = sqlite3_column_int64(st, 6 + i);     /* NULL reads 0 */
        if (t > last_t)
            last_t = t;
        switch (kind) {
        case TR_RUN_BEGIN:
            if (f[0] > 0 && f[0] <= 4096)
                cpu_track(L, (int32_t)f[0] - 1);
            break;
        case TR_RUN_END:
            tl->t_end = t;
            have_end = true;
            break;
        case TR_PROCESS_CREATE:
            process_index(L, obj);
            break;
        case TR_THREAD_CREATE: {
            PlotThread *th;

            ix = thread_index(L, obj, t);
            if (ix < 0)
                break;
            th = g_ptr_array_index(tl->threads, ix);
            th->process = process_index(L, (int32_t)f[0]);
            th->system = f[3] != 0;
            th->idle_cpu = (int32_t)f[4];
            th->created = t;
            track(L, ix)->since = t;
            if (th->idle_cpu >= 0)
                cpu_track(L, th->idle_cpu);
            break;
        }
        case TR_THREAD_STATE:
            on_state(L, t, cpu, thread, f[0], f[1], f[2]);
            break;
        case TR_CONTEXT_SWITCH:
            on_switch(L, t, cpu, (int32_t)f[0], (int32_t)f[1]);
            break;
        case TR_IRQL:
            on_irql(L, t, cpu, f[0], f[1]);
            break;
        case TR_ROUTINE_BEGIN:
            on_routine_begin(L, t, seq, cpu, thread, obj, f[0], f[1], f[2]);
            break;
        case TR_ROUTINE_END:
            on_routine_end(L, t, thread, obj, (int32_t)f[0]);
            break;
        case TR_APC_INSERT:
            on_instant(L, PLOT_I_INSERT, t, seq, cpu, thread, obj, f, sqlite3_column_text(st, 11));
            break;
        case TR_MARK:
            on_instant(L, PLOT_I_MARK, t, seq, cpu, thread, obj, f, sqlite3_column_text(st, 11));
            break;
        case TR_BUGCHECK:
            on_instant(L, PLOT_I_BUGCHECK, t, seq, cpu, thread, obj, f, sqlite3_column_text(st, 11));
            break;
        default:
            break;
        }
    }
    sqlite3_finalize(st);
    if (code)
        return code;
    if (rc != SQLITE_DONE)
        return damaged(err, L->path, db, "events");
    if (!have_end || tl->t_end < last_t)
        tl->t_end = last_t;
    return 0;
}

/*
 * Reads the trace as described at the top of the file. The connection is
 * opened and closed here. Returns 0 or a TRACE_ERR_* status (with *err).
 */
int
plot_timeline_load(const char *db_path, PlotTimeline **out, GError **err)
{
    int code = 0;
    sqlite3 *db;
    Loader L = { 0 };
    const char *cpus;

    g_return_val_if_fail(db_path != NULL && out != NULL, TRACE_ERR_NOT_FOUND);
    *out = NULL;
    db = trace_open_readonly(db_path, !trace_allow_partial, &code, err);
    if (!db)
        return code;
    progress_begin();
    L.tl = timeline_new();
    L.path = db_path;
    L.thread_ix = g_hash_table_new(g_direct_hash, g_direct_equal);
    L.process_ix = g_hash_table_new(g_direct_hash, g_direct_equal);
    L.thread_names = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    L.process_names = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    L.tracks = g_array_new(FALSE, FALSE, sizeof(ThreadTrack));
    g_array_set_clear_func(L.tracks, track_clear);
    L.cpus = g_array_new(FALSE, FALSE, sizeof(CpuTrack));

    code = load_meta(db, db_path, L.tl->meta, err);
    if (code == 0)
        code = load_names(db, db_path, "thread", L.thread_names, err);
    if (code == 0)
        code = load_names(db, db_path, "process", L.process_names, err);
    if (code == 0)
        code = load_names(db, db_path, "apc", L.tl->apc_names, err);
    if (code == 0) {
        cpus = g_hash_table_lookup(L.tl->meta, "cpus");
        if (cpus) {
            gint64 n = g_ascii_strtoll(cpus, NULL, 10);

            if (n > 0 && n <= 4096)
                cpu_track(&L, (int32_t)n - 1);
        }
        code = load_events(&L, db, err);
    }
    sqlite3_close(db);
    progress_end();
    if (code == 0) {
        const char *complete = g_hash_table_lookup(L.tl->meta, "complete");

        L.tl->complete = complete && strcmp(complete, "1") == 0;
        loader_finish(&L);
    }

    g_hash_table_unref(L.thread_ix);
    g_hash_table_unref(L.process_ix);
    g_hash_table_unref(L.thread_names);
    g_hash_table_unref(L.process_names);
    g_array_unref(L.tracks);
    g_array_unref(L.cpus);
    if (code != 0) {
        plot_timeline_free(L.tl);
        return code;
    }
    *out = L.tl;
    return 0;
}

/* ======================================================================== */
/* Options                                                                  */
/* ======================================================================== */

void
plot_options_init(PlotOptions *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->from = -1;
    opt->to = -1;
}

bool
plot_parse_time(const char *s, int64_t *ns, GError **err)
{
    g_return_val_if_fail(s != NULL && ns != NULL, false);
    if (trace_parse_time(s, ns))
        return true;
    g_set_error(err, PLOT_ERROR, PLOT_ERR_USAGE,
                "'%s' is not a time (a number with a unit: 250ns, 500us, 3ms, 1.5s)", s);
    return false;
}

/* ======================================================================== */
/* The chart                                                                */
/* ======================================================================== */

/* Geometry, in pixels of the image (svg user units alike). The character
 * widths are those of DejaVu Sans (fontconfig's "Sans") at the font sizes
 * used, slightly overestimated so that estimated labels never overflow. */
#define CHART_WIDTH      1400
#define FONT_PT          9
#define CHAR_PX          7.0        /* font 9 */
#define SMALL_CHAR_PX    6.2        /* font 8 */
#define TITLE_PX         46
#define XAXIS_PX         42
#define LEGEND_ROW_PX    18
#define RIGHT_PX         26
#define GLYPH_PX         9.0
#define GLYPH_MAX_SHIFT  (3 * GLYPH_PX)
#define MIN_BOX_PX       2.0
#define MARK_ROW_PX      14
#define MARK_TEXT_MAX    40         /* characters of a mark label */
#define LANE_LABEL_MAX   26         /* characters of a lane label */

/* Vertical layout of a lane, in lane units from its bottom. */
#define BAR_LO       0.10           /* thread/group lane: state bar */
#define BAR_HI       0.62
#define TERM_LO      0.31           /* Terminated: a thin bar */
#define TERM_HI      0.41
#define TSTRIP_LO    0.10           /* thread lane: routine strip over the bar */
#define TSTRIP_HI    0.27
#define GLYPH_Y      0.80           /* thread/group lane: marker row */
#define CBAR_LO      0.30           /* CPU lane: running thread */
#define CBAR_HI      0.94
#define CSTRIP_LO    0.05           /* CPU lane: routine strip */
#define CSTRIP_HI    0.26
#define CGLYPH_Y     0.155          /* CPU lane: marker row (marks made in a DPC) */
#define GBAR_LO      0.05           /* group lane: stacked histogram */
#define GBAR_HI      0.70
#define GGLYPH_Y     0.86           /* group lane: marker row */
#define GROUP_LANE_H 2.0            /* a group lane is this many lanes high */
#define IRQL_LO      0.15           /* IRQL lane: PASSIVE ... above DISPATCH */
#define IRQL_HI      0.85

/* State categories: the colours of thread lanes and aggregated lanes, in
 * stacking order (bottom up) for the aggregated ones. */
enum {
    CAT_RUNNING, CAT_STANDBY, CAT_READY, CAT_WAIT0,
    CAT_OTHER = CAT_WAIT0 + KWAIT_REASON__COUNT + 1,  /* +1: Waiting with an unknown reason */
    CAT_TERMINATED,
    CAT__COUNT
};

static int
category_of(int32_t state, int32_t reason)
{
    switch (state) {
    case Initialized:
        return -1;
    case Running:
        return CAT_RUNNING;
    case Standby:
        return CAT_STANDBY;
    case Ready:
    case DeferredReady:
        return CAT_READY;
    case Waiting:
        return CAT_WAIT0 + (reason >= 0 && reason < KWAIT_REASON__COUNT ? reason : KWAIT_REASON__COUNT);
    case Terminated:
        return CAT_TERMINATED;
    default:
        return CAT_OTHER;
    }
}

static char *
category_name(int cat)
{
    switch (cat) {
    case CAT_RUNNING: return g_strdup("Running");
    case CAT_STANDBY: return g_strdup("Standby");
    case CAT_READY: return g_strdup("Ready");
    case CAT_OTHER: return g_strdup("Transition / other");
    case CAT_TERMINATED: return g_strdup("Terminated");
    default:
        if (cat - CAT_WAIT0 < KWAIT_REASON__COUNT)
            return g_strdup_printf("Waiting: %s", nt_wait_reason_name(cat - CAT_WAIT0));
        return g_strdup("Waiting");
    }
}

/* Waiting colours: blues and purples, fixed per reason so that a reason has
 * the same colour in every chart; the common ones are set apart. */
static const char *
category_rgb(int cat)
{
    static const char *const wait_rgb[] = {
        "#9ecae1", "#a6bddb", "#bcbddc", "#c6dbef", "#8fb9d8", "#b4a7d6", "#7fb2d5", "#cbc9e2",
    };

    switch (cat) {
    case CAT_RUNNING: return "#3f9f3f";
    case CAT_STANDBY: return "#c2df6a";
    case CAT_READY: return "#f6b93b";
    case CAT_OTHER: return "#bdbdbd";
    case CAT_TERMINATED: return "#555555";
    default: break;
    }
    switch (cat - CAT_WAIT0) {
    case Executive: return "#9ecae1";
    case DelayExecution: return "#c6dbef";
    case Suspended: case WrSuspended: return "#c2a5cf";
    case UserRequest: return "#6fa8dc";
    case WrUserRequest: return "#8fb9d8";
    case WrQueue: return "#a6bddb";
    case WrAlertByThreadId: return "#b4a7d6";
    default: return wait_rgb[(cat - CAT_WAIT0) % G_N_ELEMENTS(wait_rgb)];
    }
}

/* Routine kinds drawn as strips (ThreadBody and system calls are not). */
static const char *
routine_rgb(int32_t kind)
{
    switch (kind) {
    case RtDpc: return "#d62728";
    case RtKernelRoutine: return "#e6650a";
    case RtNormalRoutine: return "#7b52ae";
    case RtUserApcNormal: return "#e7298a";
    case RtRundownRoutine: return "#8c510a";
    default: return NULL;
    }
}

static const char *
routine_legend(int32_t kind)
{
    switch (kind) {
    case RtDpc: return "DPC routine";
    case RtKernelRoutine: return "KernelRoutine";
    case RtNormalRoutine: return "NormalRoutine (kernel APC)";
    case RtUserApcNormal: return "user APC routine";
    case RtRundownRoutine: return "RundownRoutine";
    default: return "";
    }
}

#define ROUTINE_KINDS 7     /* KROUTINE_KIND values 0..6 */

/* Markers. */
enum { GL_INSERT, GL_KERNEL, GL_NORMAL, GL_USER, GL_RUNDOWN, GL_MARK, GL__COUNT };

static const struct {
    const char *name;       /* block name in glyphs.dat */
    const char *legend;
    int pt;                 /* gnuplot point type */
    double ps;
    const char *rgb;
} glyph_style[GL__COUNT] = {
    [GL_INSERT]  = { "insert", "APC inserted", 11, 0.85, "#111111" },
    [GL_KERNEL]  = { "kernel-routine", "KernelRoutine starts", 9, 0.85, "#e6650a" },
    [GL_NORMAL]  = { "normal-routine", "NormalRoutine starts", 13, 0.9, "#7b52ae" },
    [GL_USER]    = { "user-routine", "user APC routine starts", 7, 0.8, "#e7298a" },
    [GL_RUNDOWN] = { "rundown-routine", "RundownRoutine starts", 2, 0.8, "#8c510a" },
    [GL_MARK]    = { "mark", "mark()", 5, 0.6, "#000000" },
};

static const char *const cpu_palette[] = {
    "#8dd3c7", "#fdb462", "#bebada", "#fb8072", "#80b1d3", "#b3de69",
    "#fccde5", "#ffed6f", "#bc80bd", "#ccebc5", "#d9d9d9", "#ffffb3",
};

typedef enum LANE_KIND { LANE_THREAD, LANE_GROUP, LANE_CPU, LANE_IRQL } LANE_KIND;

/* One block of a data file (gnuplot's `index`): written only if it has rows,
 * so that no plot clause ever reads a block without points. */
typedef struct Block {
    GString *rows;
    int n;
} Block;

enum { TX_BAR, TX_MORE, TX__COUNT };           /* texts.dat blocks */
enum { CB_NARROW, CB_WIDE, CB__COUNT };        /* cpus.dat blocks */
enum { MK_MARK_LEFT, MK_MARK_RIGHT, MK_BUG_LEFT, MK_BUG_RIGHT, MK__COUNT };   /* marks.dat */

/* The data files. */
enum { F_STATES, F_CPUS, F_ROUTINES, F_IRQL, F_GLYPHS, F_TEXTS, F_MARKS, F_LEADERS, F__COUNT };

typedef struct Lane {
    LANE_KIND kind;
    int32_t what;               /* thread index, group number or CPU */
    char *label;
    double y0;                  /* the lane spans [y0, y0 + h] */
    double h;                   /* 1, or GROUP_LANE_H for a group lane */
    int members;                /* threads in a group lane */
} Lane;

typedef struct MarkLabel {
    int64_t t, seq;
    int lane;                   /* lane of its marker, -1 */
    int64_t marker_t;           /* where its marker was drawn (t if it was not moved) */
    bool bugcheck;
    char *text;
} MarkLabel;

typedef struct Glyph {
    int64_t t, seq;
    int kind;
    int lane;
    const char *what;           /* borrowed: APC or mark name */
    MarkLabel *mark;            /* borrowed: the label of a GL_MARK marker */
} Glyph;

typedef struct Chart {
    const PlotTimeline *tl;
    int64_t from, to, span;
    double unit;                /* ns per shown unit */
    const char *unit_name;
    GArray *lanes;              /* Lane, top to bottom */
    int nthread_lanes;          /* lanes of the top section (threads and groups) */
    double units;               /* height of all lanes, in lane units */
    int32_t *thread_lane;       /* per thread: lane, -1 */
    int32_t *thread_group;      /* per thread: group number when aggregated, -1 */
    int ngroups;
    int aggregated;             /* threads drawn in group lanes */
    int64_t *term_t;            /* per thread: when it terminated (INT64_MAX) */
    /* geometry */
    int height, left, top, bottom, lane_px, band_px, plot_w, mark_rows, legend_px;
    int marks_hidden;
    /* what was drawn, for the legend */
    bool cat_used[CAT__COUNT];
    bool routine_used[ROUTINE_KINDS];
    bool glyph_used[GL__COUNT];
    bool cpu_used, irql_used, mark_labels, bugcheck;
    Block texts[TX__COUNT], cpu_blk[CB__COUNT], mark_blk[MK__COUNT];
    /* output */
    GString *files[F__COUNT];
    GString *plot;              /* the plot clauses */
    GString *script;
} Chart;

static const char *const file_names[F__COUNT] = {
    "states.dat", "cpus.dat", "routines.dat", "irql.dat", "glyphs.dat", "texts.dat",
    "marks.dat", "leaders.dat",
};

static const PlotThread *
chart_thread(const Chart *c, int32_t ix)
{
    return g_ptr_array_index(c->tl->threads, ix);
}

static double
x_px(const Chart *c, int64_t t)
{
    return (double)(t - c->from) * c->plot_w / (double)c->span;
}

/* The column of width 1/per pixels that t falls in, in integers (the
 * reductions below decide with it, so no rounding can differ between
 * builds). */
static int64_t
x_col(const Chart *c, int64_t t, int per)
{
    int64_t d = MAX(0, t - c->from), w = (int64_t)c->plot_w * per;

    /* d * w cannot overflow for a window below 2^63 / 2^16 ns (39 hours);
     * beyond, divide first */
    if (d < INT64_MAX / 65536)
        return d * w / MAX(1, c->span);
    return d / MAX(1, c->span / MAX(1, w));
}

/* Nanoseconds covered by px pixels (at least 1). */
static int64_t
px_ns(const Chart *c, double px)
{
    int64_t ns = (int64_t)ceil(px * (double)c->span / c->plot_w);

    return ns > 0 ? ns : 1;
}

static int64_t
px_time(const Chart *c, double px)
{
    return c->from + (int64_t)llround(px * (double)c->span / c->plot_w);
}

static const Lane *
lane_at(const Chart *c, int i)
{
    return &g_array_index(c->lanes, Lane, i);
}

/* y of a point at `frac` of a lane's height. */
static double
lane_y(const Lane *ln, double frac)
{
    return ln->y0 + frac * ln->h;
}

/* y of a lane's marker row. */
static double
glyph_y(const Lane *ln)
{
    switch (ln->kind) {
    case LANE_CPU: return lane_y(ln, CGLYPH_Y);
    case LANE_GROUP: return lane_y(ln, GGLYPH_Y);
    default: return lane_y(ln, GLYPH_Y);
    }
}

/* Append s as a double-quoted string of a data file. gnuplot reads backslash
 * escapes there (no command substitution happens in data), but it ends a
 * quoted column at the next '"' whatever precedes it: so '"' is written as
 * '\'', a backslash as two; control characters become spaces (a label is one
 * line) and invalid UTF-8 is replaced. */
static void
data_quote(GString *out, const char *s)
{
    char *valid = g_utf8_make_valid(s, -1);

    g_string_append_c(out, '"');
    for (const char *p = valid; *p; p++) {
        unsigned char ch = (unsigned char)*p;

        if (ch == '"') {
            g_string_append_c(out, '\'');
        } else if (ch == '\\') {
            g_string_append(out, "\\\\");
        } else if (ch < 0x20 || ch == 0x7f) {
            g_string_append_c(out, ' ');
        } else {
            g_string_append_c(out, (char)ch);
        }
    }
    g_string_append_c(out, '"');
    g_free(valid);
}

/* Append s as a single-quoted gnuplot string: no substitution of any kind
 * happens inside single quotes ('' is a quote), unlike double quotes where
 * `...` runs a shell command. */
static void
gp_quote(GString *out, const char *s)
{
    char *valid = g_utf8_make_valid(s, -1);

    g_string_append_c(out, '\'');
    for (const char *p = valid; *p; p++) {
        unsigned char ch = (unsigned char)*p;

        if (ch == '\'')
            g_string_append(out, "''");
        else if (ch < 0x20 || ch == 0x7f)
            g_string_append_c(out, ' ');
        else
            g_string_append_c(out, (char)ch);
    }
    g_string_append_c(out, '\'');
    g_free(valid);
}

/* s cut to max characters (an ellipsis marks the cut). */
static char *
ellipsize(const char *s, long max)
{
    char *valid = g_utf8_make_valid(s, -1);
    char *cut;

    if (g_utf8_strlen(valid, -1) <= max)
        return valid;
    cut = g_utf8_substring(valid, 0, max - 1);
    g_free(valid);
    valid = g_strconcat(cut, "\xe2\x80\xa6", NULL);
    g_free(cut);
    return valid;
}

static double
text_px(const char *s, double char_px)
{
    return (double)g_utf8_strlen(s, -1) * char_px;
}

/* A time in the chart's unit, shortest form ("12.5", "300"). */
static char *
fmt_in_unit(const Chart *c, int64_t t)
{
    char *s = g_strdup_printf("%.3f", (double)t / c->unit);
    char *dot = strchr(s, '.');

    if (dot) {
        char *e = s + strlen(s);

        while (e > dot + 1 && e[-1] == '0')
            *--e = '\0';
        if (e == dot + 1)
            *dot = '\0';
    }
    return s;
}

/* ---- choosing the lanes ---------------------------------------------------- */

typedef struct Activity {
    int32_t thread;
    int64_t events;
    int64_t cpu_ns;
} Activity;

static gint
cmp_activity(gconstpointer pa, gconstpointer pb)
{
    const Activity *a = pa, *b = pb;

    if (a->events != b->events)
        return a->events > b->events ? -1 : 1;
    if (a->cpu_ns != b->cpu_ns)
        return a->cpu_ns > b->cpu_ns ? -1 : 1;
    return a->thread < b->thread ? -1 : a->thread > b->thread;
}

static bool
in_window(const Chart *c, int64_t t)
{
    return t >= c->from && t <= c->to;
}

/* Which threads are candidates for lanes (see plot.h), as a bool per thread.
 * With --threads, the named ones; unknown names are an error. */
static bool *
chart_candidates(Chart *c, const char *names, GError **err)
{
    const PlotTimeline *tl = c->tl;
    bool *cand = g_new0(bool, tl->threads->len + 1);

    if (names) {
        char **list = g_strsplit(names, ",", -1);
        int named = 0;

        for (char **n = list; *n; n++) {
            bool found = false;

            g_strstrip(*n);
            if (!**n)
                continue;
            named++;
            for (guint i = 0; i < tl->threads->len; i++) {
                if (strcmp(chart_thread(c, (int32_t)i)->name, *n) == 0) {
                    cand[i] = true;
                    found = true;
                }
            }
            if (!found) {
                GString *known = g_string_new(NULL);

                for (guint i = 0; i < tl->threads->len; i++) {
                    if (chart_thread(c, (int32_t)i)->idle_cpu >= 0)
                        continue;
                    if (known->len > 200) {
                        g_string_append(known, ", ...");
                        break;
                    }
                    g_string_append_printf(known, "%s%s", known->len ? ", " : "",
                                           chart_thread(c, (int32_t)i)->name);
                }
                g_set_error(err, PLOT_ERROR, PLOT_ERR_USAGE, "--threads: no thread named '%s' in the trace "
                            "(threads: %s)", *n, known->len ? known->str : "none");
                g_string_free(known, TRUE);
                g_strfreev(list);
                g_free(cand);
                return NULL;
            }
        }
        g_strfreev(list);
        if (named == 0) {
            g_set_error(err, PLOT_ERROR, PLOT_ERR_USAGE, "--threads: give one or more thread names");
            g_free(cand);
            return NULL;
        }
        return cand;
    }
    for (guint i = 0; i < tl->threads->len; i++) {
        const PlotThread *th = chart_thread(c, (int32_t)i);

        cand[i] = th->idle_cpu < 0 && th->created <= c->to && c->term_t[i] > c->from;
    }
    return cand;
}

static void
lane_add(Chart *c, LANE_KIND kind, int32_t what, char *label, int members)
{
    Lane l = { .kind = kind, .what = what, .label = label, .members = members };

    g_array_append_val(c->lanes, l);
}

static void
lane_clear(gpointer p)
{
    g_free(((Lane *)p)->label);
}

typedef struct GroupInfo {
    int32_t process;            /* index, -1 = none */
    int count;
} GroupInfo;

static gint
cmp_group_size(gconstpointer pa, gconstpointer pb)
{
    const GroupInfo *a = pa, *b = pb;

    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return a->process < b->process ? -1 : a->process > b->process;
}

/* The PLOT_DETAIL_THREADS most active candidates (see plot.h) into detail[]. */
static void
choose_detail(Chart *c, const bool *cand, bool *detail)
{
    const PlotTimeline *tl = c->tl;
    guint nthreads = tl->threads->len;
    GArray *act = g_array_new(FALSE, TRUE, sizeof(Activity));

    g_array_set_size(act, nthreads);
    for (guint i = 0; i < nthreads; i++)
        g_array_index(act, Activity, i).thread = (int32_t)i;
    for (guint i = 0; i < tl->routines->len; i++) {
        const PlotRoutine *r = &g_array_index(tl->routines, PlotRoutine, i);

        if (r->kind != RtThreadBody && r->kind != RtDpc && r->kind != RtSyscall && in_window(c, r->t0))
            g_array_index(act, Activity, r->thread).events++;
    }
    for (guint i = 0; i < tl->instants->len; i++) {
        const PlotInstant *in = &g_array_index(tl->instants, PlotInstant, i);

        if (in->thread >= 0 && in_window(c, in->t))
            g_array_index(act, Activity, in->thread).events++;
    }
    for (guint i = 0; i < tl->runs->len; i++) {
        const PlotRun *r = &g_array_index(tl->runs, PlotRun, i);
        int64_t a = MAX(r->t0, c->from), b = MIN(r->t1, c->to);

        if (b > a)
            g_array_index(act, Activity, r->thread).cpu_ns += b - a;
    }
    g_array_sort(act, cmp_activity);
    for (guint i = 0, kept = 0; i < nthreads && kept < PLOT_DETAIL_THREADS; i++) {
        int32_t t = g_array_index(act, Activity, i).thread;

        if (cand[t]) {
            detail[t] = true;
            kept++;
        }
    }
    g_array_unref(act);
}

/* The group lanes of the candidates without a lane of their own: one per
 * process, in process order, the smallest processes merged into "other
 * processes" beyond PLOT_MAX_GROUP_LANES; sets thread_group and thread_lane. */
static void
group_lanes(Chart *c, const bool *cand, const bool *detail)
{
    const PlotTimeline *tl = c->tl;
    guint nthreads = tl->threads->len, nproc = tl->processes->len;
    GArray *groups = g_array_new(FALSE, TRUE, sizeof(GroupInfo));   /* per process, then "none" */
    int32_t *slot_group = g_new(int32_t, nproc + 2);                  /* slot = process + 1; 0 = none */
    int keep = PLOT_MAX_GROUP_LANES, nonempty = 0, other_members = 0;
    int32_t other = -1;
    GArray *bysize;

    for (guint p = 0; p <= nproc; p++) {
        GroupInfo g = { .process = p < nproc ? (int32_t)p : -1, .count = 0 };

        g_array_append_val(groups, g);
    }
    for (guint i = 0; i < nthreads; i++) {
        if (cand[i] && !detail[i]) {
            int32_t p = chart_thread(c, (int32_t)i)->process;

            g_array_index(groups, GroupInfo, p >= 0 ? (guint)p : nproc).count++;
            c->aggregated++;
        }
    }
    if (c->aggregated == 0)
        goto out;

    /* Which processes keep a lane: the largest, when there are too many. */
    bysize = g_array_copy(groups);
    g_array_sort(bysize, cmp_group_size);
    for (guint g = 0; g < bysize->len; g++)
        nonempty += g_array_index(bysize, GroupInfo, g).count > 0;
    if (nonempty > PLOT_MAX_GROUP_LANES)
        keep = PLOT_MAX_GROUP_LANES - 1;
    for (guint p = 0; p <= nproc; p++)
        slot_group[p] = -1;
    for (guint g = 0; g < bysize->len && (int)g < keep; g++) {
        const GroupInfo *gi = &g_array_index(bysize, GroupInfo, g);

        if (gi->count > 0)
            slot_group[gi->process + 1] = 0;
    }
    g_array_unref(bysize);

    /* Their lanes, in process order ("no process" last), then "other". */
    for (guint p = 0; p <= nproc; p++) {
        guint slot = p < nproc ? p + 1 : 0;
        const GroupInfo *gi = &g_array_index(groups, GroupInfo, p);

        if (gi->count == 0)
            continue;
        if (slot_group[slot] < 0) {
            other_members += gi->count;
            continue;
        }
        slot_group[slot] = c->ngroups++;
        lane_add(c, LANE_GROUP, slot_group[slot],
                 g_strdup_printf("%s (%d threads)",
                                 slot ? ((PlotProcess *)g_ptr_array_index(tl->processes, p))->name : "no process",
                                 gi->count),
                 gi->count);
    }
    if (other_members > 0) {
        other = c->ngroups++;
        lane_add(c, LANE_GROUP, other, g_strdup_printf("other processes (%d threads)", other_members),
                 other_members);
    }
    for (guint i = 0; i < nthreads; i++) {
        if (cand[i] && !detail[i]) {
            int32_t p = chart_thread(c, (int32_t)i)->process;
            int32_t g = slot_group[p >= 0 ? p + 1 : 0];

            c->thread_group[i] = g >= 0 ? g : other;
        }
    }
    for (guint l = 0; l < c->lanes->len; l++) {
        const Lane *ln = lane_at(c, (int)l);

        if (ln->kind != LANE_GROUP)
            continue;
        for (guint i = 0; i < nthreads; i++)
            if (c->thread_group[i] == ln->what)
                c->thread_lane[i] = (int32_t)l;
    }
out:
    g_free(slot_group);
    g_array_unref(groups);
}

/* All the lanes, top to bottom (see plot.h for the rule), and their y. */
static bool
chart_lanes(Chart *c, const char *names, GError **err)
{
    const PlotTimeline *tl = c->tl;
    guint nthreads = tl->threads->len;
    bool *cand = chart_candidates(c, names, err), *detail;
    int ncand = 0;
    double y = 0;

    if (!cand)
        return false;
    for (guint i = 0; i < nthreads; i++)
        ncand += cand[i];
    c->thread_lane = g_new(int32_t, nthreads + 1);
    c->thread_group = g_new(int32_t, nthreads + 1);
    for (guint i = 0; i < nthreads; i++)
        c->thread_lane[i] = c->thread_group[i] = -1;

    detail = g_new0(bool, nthreads + 1);
    if (names || ncand <= PLOT_MAX_THREAD_LANES)
        memcpy(detail, cand, nthreads * sizeof(bool));
    else
        choose_detail(c, cand, detail);
    for (guint i = 0; i < nthreads; i++) {
        if (!detail[i])
            continue;
        c->thread_lane[i] = (int32_t)c->lanes->len;
        lane_add(c, LANE_THREAD, (int32_t)i, ellipsize(chart_thread(c, (int32_t)i)->name, LANE_LABEL_MAX), 1);
    }
    group_lanes(c, cand, detail);
    g_free(detail);
    g_free(cand);

    c->nthread_lanes = (int)c->lanes->len;
    for (int cpu = 0; cpu < tl->ncpus; cpu++) {
        lane_add(c, LANE_CPU, cpu, g_strdup_printf("CPU %d", cpu), 0);
        lane_add(c, LANE_IRQL, cpu, g_strdup_printf("IRQL %d", cpu), 0);
    }
    /* From the bottom up: a group lane is taller (its histogram needs it). */
    for (guint i = c->lanes->len; i-- > 0;) {
        Lane *ln = &g_array_index(c->lanes, Lane, i);

        ln->h = ln->kind == LANE_GROUP ? GROUP_LANE_H : 1.0;
        ln->y0 = y;
        y += ln->h;
    }
    c->units = y;
    return true;
}

/* The first of a CPU's two lanes (its IRQL lane follows). */
static int
cpu_lane(const Chart *c, int32_t cpu)
{
    return c->nthread_lanes + 2 * cpu;
}

/* ---- data: states ------------------------------------------------------------ */

static void
block_row_box(GString *out, int64_t t0, int64_t t1, double ylo, double yhi)
{
    g_string_append_printf(out, "%" PRId64 " %" PRId64 " %.3f %.3f", t0, t1, ylo, yhi);
}

/* Write the blocks that have rows into file f, recording for each its index
 * (the gnuplot `index`) in idx[] (-1 for empty blocks). */
static void
blocks_write(Chart *c, int f, Block *blocks, int n, char *(*name)(int), int *idx, const char *columns)
{
    GString *out = c->files[f];
    int next = 0;

    g_string_append_printf(out, "# %s - apcsim plot data; columns: %s\n", file_names[f], columns);
    for (int b = 0; b < n; b++) {
        idx[b] = -1;
        if (!blocks[b].rows || blocks[b].n == 0)
            continue;
        if (next > 0)
            g_string_append(out, "\n\n");
        char *nm = name(b);

        g_string_append_printf(out, "# [%d] %s\n", next, nm);
        g_free(nm);
        g_string_append_len(out, blocks[b].rows->str, (gssize)blocks[b].rows->len);
        idx[b] = next++;
    }
}

static char *
cpu_block_name(int b)
{
    return g_strdup(b == CB_WIDE ? "wide" : "narrow");
}

static char *
text_block_name(int b)
{
    return g_strdup(b == TX_BAR ? "in bars" : "markers not shown");
}

static char *
mark_block_name(int b)
{
    static const char *const names[MK__COUNT] = {
        "marks, text right of the point", "marks, text left of the point",
        "bugchecks, text right of the point", "bugchecks, text left of the point",
    };

    return g_strdup(names[b]);
}

static gint
cmp_state_lane(gconstpointer pa, gconstpointer pb, gpointer data)
{
    const Chart *c = data;
    const PlotState *a = pa, *b = pb;
    int32_t la = c->thread_lane[a->thread], lb = c->thread_lane[b->thread];

    if (la != lb)
        return la < lb ? -1 : 1;
    if (a->thread != b->thread)
        return a->thread < b->thread ? -1 : 1;
    return a->t0 < b->t0 ? -1 : a->t0 > b->t0;
}

static GString *
block_row(Block *b)
{
    if (!b->rows)
        b->rows = g_string_new(NULL);
    b->n++;
    return b->rows;
}

static void
blocks_free(Block *blocks, int n)
{
    for (int i = 0; i < n; i++)
        if (blocks[i].rows)
            g_string_free(blocks[i].rows, TRUE);
}

/* Labels inside bars: centred at (t, y), only if the text fits. */
static void
text_in_bar(Chart *c, int64_t t0, int64_t t1, double y, const char *text)
{
    double w = x_px(c, t1) - x_px(c, t0);

    if (w < text_px(text, SMALL_CHAR_PX) + 6)
        return;
    GString *out = block_row(&c->texts[TX_BAR]);

    g_string_append_printf(out, "%" PRId64 " %.3f ", t0 + (t1 - t0) / 2, y);
    data_quote(out, text);
    g_string_append_c(out, '\n');
}

/* The stacked histogram of one group lane (see plot.h). */
static void
group_histogram(Chart *c, const Lane *ln, Block *blocks)
{
    const PlotTimeline *tl = c->tl;
    int nb = MAX(1, c->plot_w / PLOT_BIN_PX);
    int64_t *acc = g_new0(int64_t, (size_t)nb * CAT__COUNT);
    int *cum = g_new0(int, (size_t)(nb + 1) * (CAT__COUNT + 1));

    for (guint i = 0; i < tl->states->len; i++) {
        const PlotState *s = &g_array_index(tl->states, PlotState, i);
        int cat = category_of(s->state, s->reason);
        int64_t a = MAX(s->t0, c->from), b = MIN(s->t1, c->to);

        if (cat < 0 || b <= a || c->thread_group[s->thread] != ln->what)
            continue;
        int first = (int)((a - c->from) * nb / c->span), last = (int)((b - 1 - c->from) * nb / c->span);

        for (int k = MAX(first, 0); k <= MIN(last, nb - 1); k++) {
            int64_t k0 = c->from + c->span * k / nb, k1 = c->from + c->span * (k + 1) / nb;
            int64_t o = MIN(b, k1) - MAX(a, k0);

            if (o > 0)
                acc[(size_t)k * CAT__COUNT + cat] += o;
        }
    }
    /* cum[k][j]: percent of the lane filled by categories < j, rounded once
     * so that segments meet exactly. */
    for (int k = 0; k < nb; k++) {
        int64_t k0 = c->from + c->span * k / nb, k1 = c->from + c->span * (k + 1) / nb;
        double denom = (double)(k1 - k0) * ln->members;
        int64_t sum = 0;

        cum[(size_t)k * (CAT__COUNT + 1)] = 0;
        for (int j = 0; j < CAT__COUNT; j++) {
            sum += acc[(size_t)k * CAT__COUNT + j];
            cum[(size_t)k * (CAT__COUNT + 1) + j + 1] = denom > 0 ? (int)lround(100.0 * (double)sum / denom) : 0;
        }
    }
    /* Runs of bins with the same composition become one box per category. */
    for (int k = 0; k < nb;) {
        int e = k + 1;
        const int *ck = &cum[(size_t)k * (CAT__COUNT + 1)];

        while (e < nb && memcmp(ck, &cum[(size_t)e * (CAT__COUNT + 1)], sizeof(int) * (CAT__COUNT + 1)) == 0)
            e++;
        int64_t t0 = c->from + c->span * k / nb, t1 = c->from + c->span * e / nb;

        for (int j = 0; j < CAT__COUNT; j++) {
            int lo = ck[j], hi = ck[j + 1];

            if (hi <= lo)
                continue;
            if (!blocks[j].rows)
                blocks[j].rows = g_string_new(NULL);
            block_row_box(blocks[j].rows, t0, t1, lane_y(ln, GBAR_LO + (GBAR_HI - GBAR_LO) * lo / 100.0),
                          lane_y(ln, GBAR_LO + (GBAR_HI - GBAR_LO) * hi / 100.0));
            g_string_append(blocks[j].rows, " ");
            data_quote(blocks[j].rows, ln->label);
            g_string_append_c(blocks[j].rows, '\n');
            blocks[j].n++;
            c->cat_used[j] = true;
        }
        k = e;
    }
    g_free(acc);
    g_free(cum);
}

static char *
state_block_name(int cat)
{
    return category_name(cat);
}

static void
chart_states(Chart *c, int *idx)
{
    const PlotTimeline *tl = c->tl;
    Block blocks[CAT__COUNT] = { { 0 } };
    GArray *sorted = g_array_sized_new(FALSE, FALSE, sizeof(PlotState), tl->states->len);

    for (guint i = 0; i < tl->states->len; i++) {
        const PlotState *s = &g_array_index(tl->states, PlotState, i);
        int32_t ln = c->thread_lane[s->thread];

        if (ln >= 0 && lane_at(c, ln)->kind == LANE_THREAD && s->t1 > c->from && s->t0 < c->to)
            g_array_append_val(sorted, *s);
    }
    g_array_sort_with_data(sorted, cmp_state_lane, c);
    for (guint i = 0; i < sorted->len; i++) {
        const PlotState *s = &g_array_index(sorted, PlotState, i);
        const Lane *ln = lane_at(c, c->thread_lane[s->thread]);
        int cat = category_of(s->state, s->reason);
        int64_t a = MAX(s->t0, c->from), b = MIN(s->t1, c->to);
        bool term = cat == CAT_TERMINATED;

        if (cat < 0)
            continue;
        if (!blocks[cat].rows)
            blocks[cat].rows = g_string_new(NULL);
        block_row_box(blocks[cat].rows, a, b, ln->y0 + (term ? TERM_LO : BAR_LO), ln->y0 + (term ? TERM_HI : BAR_HI));
        g_string_append(blocks[cat].rows, " ");
        data_quote(blocks[cat].rows, chart_thread(c, s->thread)->name);
        g_string_append_c(blocks[cat].rows, '\n');
        blocks[cat].n++;
        c->cat_used[cat] = true;
        if (cat >= CAT_WAIT0 && cat < CAT_WAIT0 + KWAIT_REASON__COUNT)
            text_in_bar(c, a, b, ln->y0 + (BAR_LO + BAR_HI) / 2 + 0.06, nt_wait_reason_name(s->reason));
    }
    g_array_unref(sorted);
    for (guint l = 0; l < c->lanes->len; l++)
        if (lane_at(c, (int)l)->kind == LANE_GROUP)
            group_histogram(c, lane_at(c, (int)l), blocks);
    blocks_write(c, F_STATES, blocks, CAT__COUNT, state_block_name, idx,
                 "t0_ns t1_ns y_low y_high lane");
    for (int i = 0; i < CAT__COUNT; i++)
        if (blocks[i].rows)
            g_string_free(blocks[i].rows, TRUE);
}

/* ---- data: CPU lanes and routine strips ---------------------------------------- */

static gint
cmp_run_cpu(gconstpointer pa, gconstpointer pb)
{
    const PlotRun *a = pa, *b = pb;

    if (a->cpu != b->cpu)
        return a->cpu < b->cpu ? -1 : 1;
    return a->t0 < b->t0 ? -1 : a->t0 > b->t0;
}

/* [a, b] clipped to the window and widened to MIN_BOX_PX; false if outside.
 * Instants are kept (drawn MIN_BOX_PX wide). */
static bool
clip_box(const Chart *c, int64_t t0, int64_t t1, int64_t *a, int64_t *b, int64_t *shown)
{
    if (t1 < c->from || t0 > c->to || (t1 == c->from && t1 > t0) || (t0 == c->to && t1 > t0))
        return false;
    *a = MAX(t0, c->from);
    *b = MIN(t1, c->to);
    *shown = *b;
    if (x_px(c, *b) - x_px(c, *a) < MIN_BOX_PX)
        *shown = *a + px_ns(c, MIN_BOX_PX);
    return true;
}

/*
 * CPU lanes. A run narrower than MIN_BOX_PX is drawn MIN_BOX_PX wide, and
 * gnuplot draws the rows in order, so a narrow box is hidden by the next
 * narrow box of the same CPU when that one starts in the same pixel column
 * (it is as wide and starts no earlier): such a box is left out. In a
 * trace of millions of switches this keeps cpus.dat to about one narrow
 * box per pixel column and CPU instead of hundreds (gnuplot's time); in a
 * chart where every box has room, nothing is left out.
 */
static void
chart_cpus(Chart *c)
{
    const PlotTimeline *tl = c->tl;
    GArray *runs = g_array_copy(tl->runs);
    GString *held = g_string_new(NULL);         /* the last narrow row, not yet written */
    int32_t held_cpu = -1;
    int64_t held_col = -1;

    g_array_sort(runs, cmp_run_cpu);
    for (guint i = 0; i < runs->len; i++) {
        const PlotRun *r = &g_array_index(runs, PlotRun, i);
        const PlotThread *th = chart_thread(c, r->thread);
        const Lane *ln = lane_at(c, cpu_lane(c, r->cpu));
        int64_t a, b, shown;
        unsigned rgb;
        bool wide;
        GString *out;

        if (th->idle_cpu >= 0 || !clip_box(c, r->t0, r->t1, &a, &b, &shown))
            continue;
        rgb = (unsigned)strtoul(cpu_palette[r->thread % G_N_ELEMENTS(cpu_palette)] + 1, NULL, 16);
        wide = x_px(c, shown) - x_px(c, a) >= 4;
        if (!wide && held->len && (held_cpu != r->cpu || held_col != x_col(c, a, 1)))
            g_string_append_len(block_row(&c->cpu_blk[CB_NARROW]), held->str, held->len);
        if (!wide) {
            g_string_truncate(held, 0);         /* a held row in this column is covered */
            held_cpu = r->cpu;
            held_col = x_col(c, a, 1);
        }
        out = wide ? block_row(&c->cpu_blk[CB_WIDE]) : held;
        g_string_append_printf(out, "%" PRId64 " %" PRId64 " %" PRId64 " %.3f %.3f %u ", a, b, shown,
                               lane_y(ln, CBAR_LO), lane_y(ln, CBAR_HI), rgb);
        data_quote(out, th->name);
        g_string_append_c(out, '\n');
        c->cpu_used = true;
        text_in_bar(c, a, b, lane_y(ln, (CBAR_LO + CBAR_HI) / 2), th->name);
    }
    if (held->len)
        g_string_append_len(block_row(&c->cpu_blk[CB_NARROW]), held->str, held->len);
    g_string_free(held, TRUE);
    g_array_unref(runs);
}

static char *
routine_block_name(int kind)
{
    return g_strdup(nt_routine_name(kind));
}

static void
strip_row(Chart *c, Block *blk, int32_t kind, int64_t t0, int64_t t1, double lo, double hi, const char *apc)
{
    int64_t a, b, shown;

    if (!clip_box(c, t0, t1, &a, &b, &shown))
        return;
    if (!blk[kind].rows)
        blk[kind].rows = g_string_new(NULL);
    g_string_append_printf(blk[kind].rows, "%" PRId64 " %" PRId64 " %" PRId64 " %.3f %.3f ", a, b, shown, lo, hi);
    data_quote(blk[kind].rows, apc);
    g_string_append_c(blk[kind].rows, '\n');
    blk[kind].n++;
    c->routine_used[kind] = true;
}

/*
 * Routine strips. In a thread's lane (APC routines only): the whole routine,
 * also while the thread waits inside it. In a CPU lane: the routine where it
 * ran on that CPU, i.e. its interval intersected with its thread's runs
 * there (a routine that waits resumes elsewhere); an instant routine is
 * drawn on the CPU it began on.
 */
static void
chart_routines(Chart *c, int *idx)
{
    const PlotTimeline *tl = c->tl;
    Block blk[ROUTINE_KINDS] = { { 0 } };
    guint nthreads = tl->threads->len;
    GPtrArray *runs_of = g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref);

    for (guint i = 0; i < nthreads; i++)
        g_ptr_array_add(runs_of, g_array_new(FALSE, FALSE, sizeof(guint)));
    for (guint i = 0; i < tl->runs->len; i++)
        g_array_append_val(g_ptr_array_index(runs_of, g_array_index(tl->runs, PlotRun, i).thread), i);

    for (guint i = 0; i < tl->routines->len; i++) {
        const PlotRoutine *r = &g_array_index(tl->routines, PlotRoutine, i);
        const char *apc = plot_timeline_apc_name(tl, r->obj);
        int32_t tl_lane = c->thread_lane[r->thread];
        GArray *mine = g_ptr_array_index(runs_of, r->thread);

        if (r->kind < 0 || r->kind >= ROUTINE_KINDS || !routine_rgb(r->kind) || r->t1 < c->from || r->t0 > c->to)
            continue;
        if (r->t1 == r->t0) {
            if (r->cpu >= 0 && r->cpu < tl->ncpus) {
                const Lane *ln = lane_at(c, cpu_lane(c, r->cpu));

                strip_row(c, blk, r->kind, r->t0, r->t1, lane_y(ln, CSTRIP_LO), lane_y(ln, CSTRIP_HI), apc);
            }
        } else {
            /* The thread's runs are in time order: find the first that may
             * overlap, then walk while they begin before the routine ends. */
            guint lo = 0, hi = mine->len;

            while (lo < hi) {
                guint mid = lo + (hi - lo) / 2;

                if (g_array_index(tl->runs, PlotRun, g_array_index(mine, guint, mid)).t1 <= r->t0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            for (guint k = lo; k < mine->len; k++) {
                const PlotRun *run = &g_array_index(tl->runs, PlotRun, g_array_index(mine, guint, k));
                int64_t a = MAX(run->t0, r->t0), b = MIN(run->t1, r->t1);
                const Lane *ln;

                if (run->t0 >= r->t1)
                    break;
                if (b <= a || run->cpu < 0 || run->cpu >= tl->ncpus)
                    continue;
                ln = lane_at(c, cpu_lane(c, run->cpu));
                strip_row(c, blk, r->kind, a, b, lane_y(ln, CSTRIP_LO), lane_y(ln, CSTRIP_HI), apc);
            }
        }
        if (r->kind != RtDpc && tl_lane >= 0 && lane_at(c, tl_lane)->kind == LANE_THREAD) {
            const Lane *ln = lane_at(c, tl_lane);

            strip_row(c, blk, r->kind, r->t0, r->t1, lane_y(ln, TSTRIP_LO), lane_y(ln, TSTRIP_HI), apc);
        }
    }
    g_ptr_array_unref(runs_of);
    blocks_write(c, F_ROUTINES, blk, ROUTINE_KINDS, routine_block_name, idx,
                 "t0_ns t1_ns t1_shown_ns y_low y_high apc (t1_shown: widened to 2 px)");
    for (int i = 0; i < ROUTINE_KINDS; i++)
        if (blk[i].rows)
            g_string_free(blk[i].rows, TRUE);
}

/* ---- data: IRQL ---------------------------------------------------------------- */

static double
irql_y(const Lane *ln, int32_t level)
{
    int step = level <= PASSIVE_LEVEL ? 0 : level >= 3 ? 3 : level;

    return ln->y0 + IRQL_LO + (IRQL_HI - IRQL_LO) * step / 3.0;
}

/* IRQL steps that fall in one half-pixel column, gathered for irql_flush. */
typedef struct IrqlColumn {
    int64_t col, t_first, t_last;
    int32_t first, last, min, max;
    int n;
    GString *rows;                  /* the steps as they are, while n <= IRQL_COLUMN_MAX */
} IrqlColumn;

/* More steps than this in one column are drawn as five (a chart whose
 * columns hold a few steps each, the usual case, is written step by step). */
#define IRQL_COLUMN_MAX 16

/*
 * Write the steps of one column (half a pixel wide). A step line through
 * many levels inside one column covers, in that column, every level
 * between the lowest and the highest it visits, and leaves it at the last:
 * five points draw that - the first, the lowest and the highest at the
 * first's time, the lowest and the last at the last's time. Half-pixel
 * columns, with both ends drawn, keep every pixel covered whether or not
 * gnuplot's pixel grid falls on ours. A column with few steps is written
 * as is.
 */
static void
irql_flush(GString *out, const Lane *ln, IrqlColumn *q)
{
    if (q->n == 0)
        return;
    if (q->n <= IRQL_COLUMN_MAX) {
        g_string_append_len(out, q->rows->str, q->rows->len);
    } else {
        g_string_append_printf(out, "%" PRId64 " %.3f %d\n", q->t_first, irql_y(ln, q->first), q->first);
        g_string_append_printf(out, "%" PRId64 " %.3f %d\n", q->t_first, irql_y(ln, q->min), q->min);
        g_string_append_printf(out, "%" PRId64 " %.3f %d\n", q->t_first, irql_y(ln, q->max), q->max);
        g_string_append_printf(out, "%" PRId64 " %.3f %d\n", q->t_last, irql_y(ln, q->min), q->min);
        g_string_append_printf(out, "%" PRId64 " %.3f %d\n", q->t_last, irql_y(ln, q->last), q->last);
    }
    g_string_truncate(q->rows, 0);
    q->n = 0;
}

static void
irql_step(Chart *c, GString *out, const Lane *ln, IrqlColumn *q, int64_t t, int32_t level)
{
    int64_t col = x_col(c, t, 2);

    if (q->n && col != q->col)
        irql_flush(out, ln, q);
    if (q->n == 0) {
        q->col = col;
        q->t_first = t;
        q->first = q->min = q->max = level;
    }
    q->t_last = t;
    q->last = level;
    q->min = MIN(q->min, level);
    q->max = MAX(q->max, level);
    if (++q->n <= IRQL_COLUMN_MAX)
        g_string_append_printf(q->rows, "%" PRId64 " %.3f %d\n", t, irql_y(ln, level), level);
}

static void
chart_irql(Chart *c)
{
    const PlotTimeline *tl = c->tl;
    GString *out = c->files[F_IRQL];
    IrqlColumn col = { .rows = g_string_new(NULL) };

    g_string_append_printf(out, "# %s - apcsim plot data; columns: t_ns y irql; one block per CPU "
                           "(y: PASSIVE, APC, DISPATCH, above DISPATCH)\n", file_names[F_IRQL]);
    for (int cpu = 0; cpu < tl->ncpus; cpu++) {
        const Lane *ln = lane_at(c, cpu_lane(c, cpu) + 1);
        int32_t level = PASSIVE_LEVEL;
        bool started = false;

        if (cpu > 0)
            g_string_append_c(out, '\n');
        g_string_append_printf(out, "# CPU %d\n", cpu);
        for (guint i = 0; i < tl->irql->len; i++) {
            const PlotIrql *q = &g_array_index(tl->irql, PlotIrql, i);

            if (q->cpu != cpu)
                continue;
            if (q->t <= c->from) {
                level = q->level;
                continue;
            }
            if (q->t > c->to)
                break;
            if (!started) {
                irql_step(c, out, ln, &col, c->from, level);
                started = true;
            }
            level = q->level;
            irql_step(c, out, ln, &col, q->t, level);
        }
        irql_flush(out, ln, &col);
        if (!started)
            g_string_append_printf(out, "%" PRId64 " %.3f %d\n", c->from, irql_y(ln, level), level);
        g_string_append_printf(out, "%" PRId64 " %.3f %d\n", MAX(c->from, MIN(c->to, tl->t_end)),
                               irql_y(ln, level), level);
        c->irql_used = true;
    }
    g_string_free(col.rows, TRUE);
}

/* ---- data: markers and marks ---------------------------------------------------- */

static gint
cmp_glyph(gconstpointer pa, gconstpointer pb)
{
    const Glyph *a = pa, *b = pb;

    if (a->lane != b->lane)
        return a->lane < b->lane ? -1 : 1;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    if (a->seq != b->seq)
        return a->seq < b->seq ? -1 : 1;
    return a->kind < b->kind ? -1 : a->kind > b->kind;
}

static int
glyph_of_routine(int32_t kind)
{
    switch (kind) {
    case RtKernelRoutine: return GL_KERNEL;
    case RtNormalRoutine: return GL_NORMAL;
    case RtUserApcNormal: return GL_USER;
    case RtRundownRoutine: return GL_RUNDOWN;
    default: return -1;
    }
}

/* The lane a marker of thread ix goes to: its own (or its group's) lane; a
 * mark in an idle thread's context (a DPC) goes to the CPU lane. */
static int
glyph_lane(const Chart *c, int32_t ix, int32_t cpu, bool cpu_ok)
{
    if (ix >= 0 && c->thread_lane[ix] >= 0)
        return c->thread_lane[ix];
    if (cpu_ok && cpu >= 0 && cpu < c->tl->ncpus && (ix < 0 || chart_thread(c, ix)->idle_cpu >= 0))
        return cpu_lane(c, cpu);
    return -1;
}

static double
more_w(int count)
{
    char digits[16];

    g_snprintf(digits, sizeof digits, "+%d", count);
    return text_px(digits, SMALL_CHAR_PX) + 2;
}

/*
 * Markers, lane by lane in time order. Each wants its true x; one that
 * would overlap the previous marker of its lane is pushed right, by at most
 * GLYPH_MAX_SHIFT; one that cannot be placed so is counted in a "+N" label
 * after the previous placed marker (the label takes room too). A second,
 * backward pass pulls the markers at the right edge back inside the plot.
 */
static void
chart_glyphs(Chart *c, GArray *glyphs, int *idx)
{
    Block blk[GL__COUNT] = { { 0 } };
    guint n = glyphs->len;
    double *pos = g_new(double, n + 1);
    int *more = g_new0(int, n + 1);
    bool *placed = g_new0(bool, n + 1);

    g_array_sort(glyphs, cmp_glyph);
    for (guint first = 0, end; first < n; first = end) {
        int lane = g_array_index(glyphs, Glyph, first).lane;
        int prev = -1;
        double limit;

        for (end = first; end < n && g_array_index(glyphs, Glyph, end).lane == lane; end++)
            ;
        for (guint i = first; i < end; i++) {
            double px = x_px(c, g_array_index(glyphs, Glyph, i).t);
            double lim = prev < 0 ? -1e9 : pos[prev] + GLYPH_PX + (more[prev] ? more_w(more[prev]) : 0);
            double want = MAX(px, lim);

            if (prev >= 0 && want - px > GLYPH_MAX_SHIFT) {
                more[prev]++;
                continue;
            }
            pos[i] = want;
            placed[i] = true;
            prev = (int)i;
        }
        limit = c->plot_w;
        for (guint i = end; i-- > first;) {
            double need;

            if (!placed[i])
                continue;
            need = pos[i] + (more[i] ? GLYPH_PX / 2 + more_w(more[i]) : 0);
            if (need > limit)
                pos[i] -= need - limit;
            limit = pos[i] - GLYPH_PX;
        }
    }
    for (guint i = 0; i < n; i++) {
        const Glyph *g = &g_array_index(glyphs, Glyph, i);
        const Lane *ln = lane_at(c, g->lane);
        double y = glyph_y(ln);

        if (!placed[i])
            continue;
        if (!blk[g->kind].rows)
            blk[g->kind].rows = g_string_new(NULL);
        g_string_append_printf(blk[g->kind].rows, "%" PRId64 " %" PRId64 " %.3f ", g->t,
                               px_time(c, pos[i]), y);
        data_quote(blk[g->kind].rows, g->what ? g->what : "");
        g_string_append_c(blk[g->kind].rows, '\n');
        blk[g->kind].n++;
        c->glyph_used[g->kind] = true;
        if (g->mark)
            g->mark->marker_t = px_time(c, pos[i]);
        if (more[i])
            g_string_append_printf(block_row(&c->texts[TX_MORE]), "%" PRId64 " %.3f \"+%d\"\n",
                                   px_time(c, pos[i] + GLYPH_PX * 0.6), y, more[i]);
    }
    g_free(pos);
    g_free(more);
    g_free(placed);

    GString *out = c->files[F_GLYPHS];
    int next = 0;

    g_string_append_printf(out, "# %s - apcsim plot data; columns: t_ns t_shown_ns y what "
                           "(t_shown: moved off another marker)\n", file_names[F_GLYPHS]);
    for (int k = 0; k < GL__COUNT; k++) {
        idx[k] = -1;
        if (!blk[k].rows)
            continue;
        if (next > 0)
            g_string_append(out, "\n\n");
        g_string_append_printf(out, "# [%d] %s\n", next, glyph_style[k].name);
        g_string_append_len(out, blk[k].rows->str, (gssize)blk[k].rows->len);
        idx[k] = next++;
        g_string_free(blk[k].rows, TRUE);
    }
}

static void
collect_glyphs(Chart *c, GArray *glyphs, GPtrArray *marks)
{
    const PlotTimeline *tl = c->tl;

    for (guint i = 0; i < tl->routines->len; i++) {
        const PlotRoutine *r = &g_array_index(tl->routines, PlotRoutine, i);
        int kind = glyph_of_routine(r->kind);
        Glyph g = { .t = r->t0, .seq = r->seq, .kind = kind };

        if (kind < 0 || !in_window(c, r->t0))
            continue;
        g.lane = glyph_lane(c, r->thread, r->cpu, false);
        g.what = plot_timeline_apc_name(tl, r->obj);
        if (g.lane >= 0)
            g_array_append_val(glyphs, g);
    }
    for (guint i = 0; i < tl->instants->len; i++) {
        const PlotInstant *in = &g_array_index(tl->instants, PlotInstant, i);
        Glyph g = { .t = in->t, .seq = in->seq };

        if (!in_window(c, in->t))
            continue;
        switch (in->kind) {
        case PLOT_I_INSERT:
            g.kind = GL_INSERT;
            g.lane = glyph_lane(c, in->thread, in->cpu, false);
            g.what = plot_timeline_apc_name(tl, in->obj);
            if (g.lane >= 0)
                g_array_append_val(glyphs, g);
            break;
        case PLOT_I_MARK: {
            MarkLabel *m;

            g.kind = GL_MARK;
            g.lane = glyph_lane(c, in->thread, in->cpu, true);
            g.what = in->text ? in->text : "";
            /* With --threads, the marks of the chosen threads only. */
            if (g.lane < 0 && in->thread >= 0 && chart_thread(c, in->thread)->idle_cpu < 0)
                break;
            m = g_new0(MarkLabel, 1);
            m->t = m->marker_t = in->t;
            m->seq = in->seq;
            m->lane = g.lane;
            m->text = ellipsize(g.what, MARK_TEXT_MAX);
            g_ptr_array_add(marks, m);
            g.mark = m;
            if (g.lane >= 0)
                g_array_append_val(glyphs, g);
            break;
        }
        case PLOT_I_BUGCHECK: {
            MarkLabel *m = g_new0(MarkLabel, 1);

            m->t = m->marker_t = in->t;
            m->seq = in->seq;
            m->lane = -1;
            m->bugcheck = true;
            m->text = g_strdup_printf("BUGCHECK %s", in->text ? in->text : "");
            g_ptr_array_add(marks, m);
            break;
        }
        default:
            break;
        }
    }
}

static void
mark_label_free(gpointer p)
{
    MarkLabel *m = p;

    g_free(m->text);
    g_free(m);
}

/* Rows of mark labels: each label goes into the lowest row where it does not
 * touch the previous label of that row; a label that fits in no row is
 * counted (marks_hidden). Computes c->mark_rows; the rows are written by
 * marks_write once the geometry is known. row[] gets the row or -1. */
static void
marks_place(Chart *c, GPtrArray *marks, int *row, bool *right)
{
    double end[PLOT_MAX_MARK_ROWS];

    for (int r = 0; r < PLOT_MAX_MARK_ROWS; r++)
        end[r] = -1e9;
    c->mark_rows = 0;
    for (guint i = 0; i < marks->len; i++) {
        const MarkLabel *m = g_ptr_array_index(marks, i);
        double px = x_px(c, m->t);
        double w = 8 + text_px(m->text, SMALL_CHAR_PX);
        double lo = px, hi = px + w;

        /* A label that would run off the right edge is put left of its point. */
        right[i] = hi > c->plot_w + RIGHT_PX - 4;
        if (right[i]) {
            lo = px - w;
            hi = px;
        }
        row[i] = -1;
        for (int r = 0; r < PLOT_MAX_MARK_ROWS; r++) {
            if (end[r] + 6 <= lo) {
                row[i] = r;
                end[r] = hi;
                c->mark_rows = MAX(c->mark_rows, r + 1);
                break;
            }
        }
        if (row[i] < 0)
            c->marks_hidden++;
    }
}

static double
mark_row_y(const Chart *c, int row)
{
    return c->units + (4.0 + MARK_ROW_PX * (row + 0.5)) / c->lane_px;
}

static void
marks_write(Chart *c, GPtrArray *marks, const int *row, const bool *right)
{
    GString *lead = c->files[F_LEADERS];
    double n = c->units;
    bool long_leaders = marks->len <= 40;

    g_string_append_printf(lead, "# %s - apcsim plot data; columns: t_ns y; a line from each label "
                           "down to its marker (or to the lanes)\n", file_names[F_LEADERS]);
    for (guint i = 0; i < marks->len; i++) {
        const MarkLabel *m = g_ptr_array_index(marks, i);
        double y = mark_row_y(c, row[i]), to_y = n;

        if (m->bugcheck)
            to_y = 0;
        else if (long_leaders && m->lane >= 0)
            to_y = glyph_y(lane_at(c, m->lane));
        if (row[i] < 0) {
            if (!m->bugcheck)
                continue;
            y = n;      /* a bugcheck always gets its line */
        } else {
            GString *out = block_row(&c->mark_blk[(m->bugcheck ? MK_BUG_LEFT : MK_MARK_LEFT) + right[i]]);

            g_string_append_printf(out, "%" PRId64 " %.3f ", m->t, y);
            data_quote(out, m->text);
            g_string_append_c(out, '\n');
            c->mark_labels = true;
        }
        g_string_append_printf(lead, "%" PRId64 " %.3f\n%" PRId64 " %.3f\n\n", m->t, y,
                               to_y < n && !m->bugcheck ? m->marker_t : m->t, to_y);
        if (m->bugcheck)
            c->bugcheck = true;
    }
}

/* ---- geometry, legend and script --------------------------------------------------- */

typedef struct LegendItem {
    int type;                   /* 0 box, 1 thin box, 2 point, 3 line, 5 strip, 6 red line,
                                 * 7 three boxes, 8 dashed line */
    const char *rgb;
    int pt;
    double ps;
    char *text;
} LegendItem;

static void
legend_add(GArray *items, int type, const char *rgb, int pt, double ps, char *text)
{
    LegendItem it = { .type = type, .rgb = rgb, .pt = pt, .ps = ps, .text = text };

    g_array_append_val(items, it);
}

static void
legend_item_clear(gpointer p)
{
    g_free(((LegendItem *)p)->text);
}

static GArray *
legend_items(const Chart *c)
{
    GArray *items = g_array_new(FALSE, FALSE, sizeof(LegendItem));
    static const int order[] = { CAT_RUNNING, CAT_STANDBY, CAT_READY };

    g_array_set_clear_func(items, legend_item_clear);
    for (size_t i = 0; i < G_N_ELEMENTS(order); i++)
        if (c->cat_used[order[i]])
            legend_add(items, 0, category_rgb(order[i]), 0, 0, category_name(order[i]));
    for (int cat = CAT_WAIT0; cat < CAT_OTHER; cat++)
        if (c->cat_used[cat])
            legend_add(items, 0, category_rgb(cat), 0, 0, category_name(cat));
    if (c->cat_used[CAT_OTHER])
        legend_add(items, 0, category_rgb(CAT_OTHER), 0, 0, category_name(CAT_OTHER));
    if (c->cat_used[CAT_TERMINATED])
        legend_add(items, 1, category_rgb(CAT_TERMINATED), 0, 0, category_name(CAT_TERMINATED));
    if (c->cpu_used)
        legend_add(items, 7, cpu_palette[0], 0, 0, g_strdup("thread on a CPU (a colour per thread)"));
    for (int k = 0; k < ROUTINE_KINDS; k++)
        if (c->routine_used[k])
            legend_add(items, 5, routine_rgb(k), 0, 0, g_strdup(routine_legend(k)));
    for (int k = 0; k < GL__COUNT; k++)
        if (c->glyph_used[k])
            legend_add(items, 2, glyph_style[k].rgb, glyph_style[k].pt, glyph_style[k].ps,
                       g_strdup(glyph_style[k].legend));
    if (c->irql_used)
        legend_add(items, 3, "#1f4e9c", 0, 0, g_strdup("IRQL (P=PASSIVE A=APC D=DISPATCH H=higher)"));
    if (c->bugcheck)
        legend_add(items, 6, "#cc0000", 0, 0, g_strdup("bugcheck"));
    if (c->tl->t_end > c->from && c->tl->t_end < c->to)
        legend_add(items, 8, "#999999", 0, 0, g_strdup("end of the run"));
    return items;
}

#define LEGEND_SWATCH_PX 22
#define LEGEND_GAP_PX    18

/* Lay the legend out in rows under the x axis; returns the number of rows
 * and, if script != NULL, writes the objects and labels. */
static int
legend_layout(const Chart *c, GArray *items, GString *s)
{
    int x = c->left, row = 0;
    int y_top = c->bottom - XAXIS_PX - 6;   /* px from the image bottom */

    for (guint i = 0; i < items->len; i++) {
        const LegendItem *it = &g_array_index(items, LegendItem, i);
        int w = LEGEND_SWATCH_PX + 6 + (int)ceil(text_px(it->text, SMALL_CHAR_PX)) + LEGEND_GAP_PX;

        if (x + w > CHART_WIDTH - 10 && x > c->left) {
            row++;
            x = c->left;
        }
        if (s) {
            double yc = (y_top - LEGEND_ROW_PX * (row + 0.5)) / (double)c->height;
            double x0 = (double)x / CHART_WIDTH, x1 = (double)(x + LEGEND_SWATCH_PX) / CHART_WIDTH;
            double h = (it->type == 1 ? 2.0 : it->type == 5 ? 3.5 : 6.0) / c->height;

            switch (it->type) {
            case 7:
                for (int k = 0; k < 3; k++)
                    g_string_append_printf(s, "set object rect from screen %.5f,%.5f to screen %.5f,%.5f "
                                           "fc rgb '%s' fs solid 1.0 noborder front\n",
                                           x0 + (x1 - x0) * k / 3, yc - h, x0 + (x1 - x0) * (k + 1) / 3, yc + h,
                                           cpu_palette[k]);
                break;
            case 0: case 1: case 5:
                g_string_append_printf(s, "set object rect from screen %.5f,%.5f to screen %.5f,%.5f "
                                       "fc rgb '%s' fs solid 1.0 noborder front\n",
                                       x0, yc - h, x1, yc + h, it->rgb);
                break;
            case 2:
                g_string_append_printf(s, "set label '' at screen %.5f,%.5f point pt %d ps %.2f lc rgb '%s' front\n",
                                       (x0 + x1) / 2, yc, it->pt, it->ps, it->rgb);
                break;
            case 3:
            case 6:
            case 8:
                g_string_append_printf(s, "set arrow from screen %.5f,%.5f to screen %.5f,%.5f nohead "
                                       "lc rgb '%s' lw %s front\n", x0, yc, x1, yc, it->rgb,
                                       it->type == 8 ? "1 dt 2" : "1.5");
                break;
            default:
                break;
            }
            g_string_append_printf(s, "set label ");
            gp_quote(s, it->text);
            g_string_append_printf(s, " at screen %.5f,%.5f left font ',8' front\n",
                                   (double)(x + LEGEND_SWATCH_PX + 6) / CHART_WIDTH, yc);
        }
        x += w;
    }
    return items->len ? row + 1 : 0;
}

/* Geometry that depends on the lanes (before the data: text fitting needs
 * plot_w) and on the mark rows and legend (after). */
static void
chart_geometry_x(Chart *c)
{
    size_t longest = 6;

    for (guint i = 0; i < c->lanes->len; i++)
        longest = MAX(longest, (size_t)g_utf8_strlen(lane_at(c, (int)i)->label, -1));
    c->left = 14 + (int)ceil(longest * CHAR_PX);
    c->plot_w = CHART_WIDTH - c->left - RIGHT_PX;
    c->lane_px = c->units > 0 ? CLAMP((int)(600 / c->units), 14, 34) : 34;
}

static void
chart_geometry_y(Chart *c, GArray *items)
{
    c->band_px = c->mark_rows > 0 ? 8 + MARK_ROW_PX * c->mark_rows : 0;
    c->top = TITLE_PX;
    /* the legend needs c->bottom only for its y origin: lay out rows first */
    c->bottom = XAXIS_PX;
    c->legend_px = 8 + LEGEND_ROW_PX * legend_layout(c, items, NULL);
    c->bottom = XAXIS_PX + c->legend_px;
    c->height = c->top + c->band_px + (int)lround(c->units * c->lane_px) + c->bottom;
}

static void
script_header(Chart *c, const char *title)
{
    GString *s = c->script;
    const PlotTimeline *tl = c->tl;
    int n = (int)c->lanes->len;
    double ytop = c->units + (double)c->band_px / c->lane_px;
    double lane_font = c->lane_px >= 18 ? 9 : c->lane_px >= 15 ? 8 : 7;
    char *from_s = fmt_in_unit(c, c->from), *to_s = fmt_in_unit(c, c->to);
    const char *profile = g_hash_table_lookup(tl->meta, "profile");
    const char *seed = g_hash_table_lookup(tl->meta, "seed");
    const char *outcome = g_hash_table_lookup(tl->meta, "outcome");
    GString *sub = g_string_new(NULL);

    g_string_append_printf(s,
        "# apcsim timeline chart: generated by `apcsim plot` from a trace; the data files\n"
        "# next to this script are the whole input. Draw it again with\n"
        "#   gnuplot -e \"outfile='chart.svg'; outfmt='svg'\" plot.gp\n"
        "if (!exists(\"outfile\")) outfile = 'chart.png'\n"
        "if (!exists(\"outfmt\")) outfmt = 'png'\n"
        "set encoding utf8\n"
        "if (outfmt eq 'svg') {\n"
        "    set terminal svg size %d,%d fixed noenhanced font 'Sans,%d' background rgb 'white'\n"
        "} else {\n"
        "    if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
        "        set terminal pngcairo size %d,%d noenhanced font 'Sans,%d' background rgb 'white'\n"
        "    } else {\n"
        "        set terminal png size %d,%d noenhanced font 'Sans,%d' background rgb 'white'\n"
        "    }\n"
        "}\n"
        "set output outfile\n\n",
        CHART_WIDTH, c->height, FONT_PT, CHART_WIDTH, c->height, FONT_PT, CHART_WIDTH, c->height, FONT_PT);

    g_string_append_printf(s, "S = %.1f    # ns per %s\n", c->unit, c->unit_name);
    g_string_append_printf(s, "set xrange [%" PRId64 "/S : %" PRId64 "/S]\n", c->from, c->to);
    g_string_append_printf(s, "set yrange [0 : %.4f]\n", ytop);
    g_string_append_printf(s, "set lmargin at screen %.5f\nset rmargin at screen %.5f\n",
                           (double)c->left / CHART_WIDTH, (double)(c->left + c->plot_w) / CHART_WIDTH);
    g_string_append_printf(s, "set tmargin at screen %.5f\nset bmargin at screen %.5f\n",
                           1.0 - (double)c->top / c->height, (double)c->bottom / c->height);
    g_string_append(s, "unset key\nset border 3 lc rgb '#444444'\n"
                       "set xtics out nomirror scale 0.6\nset mxtics 5\n"
                       "set grid xtics mxtics lc rgb '#e6e6e6' lw 1, lc rgb '#f2f2f2' lw 1 back\n");
    g_string_append_printf(s, "set xlabel 'time (%s)' offset 0,0.4\n", c->unit_name);
    g_string_append_printf(s, "set ytics scale 0 nomirror font ',%g' (", lane_font);
    for (int i = 0; i < n; i++) {
        const Lane *ln = lane_at(c, i);

        if (i)
            g_string_append(s, ", ");
        gp_quote(s, ln->label);
        g_string_append_printf(s, " %.2f", lane_y(ln, 0.5));
    }
    g_string_append(s, ")\n");

    /* Title: the scenario, then what the chart shows. */
    if (profile)
        g_string_append_printf(sub, "profile %s", profile);
    if (seed)
        g_string_append_printf(sub, "%sseed %s", sub->len ? ", " : "", seed);
    g_string_append_printf(sub, "%s%d CPU%s, %s\xe2\x80\x93%s %s", sub->len ? ", " : "", tl->ncpus,
                           tl->ncpus == 1 ? "" : "s", from_s, to_s, c->unit_name);
    if (c->aggregated)
        g_string_append_printf(sub, "; %d threads aggregated by process", c->aggregated);
    if (c->marks_hidden)
        g_string_append_printf(sub, "; %d mark label%s not shown", c->marks_hidden,
                               c->marks_hidden == 1 ? "" : "s");
    if (outcome)
        g_string_append_printf(sub, "; run ended: %s", outcome);
    if (!tl->complete)
        g_string_append(sub, "; INCOMPLETE TRACE");
    g_string_append(s, "set title ");
    gp_quote(s, title);
    g_string_append(s, " . \"\\n\" . ");
    gp_quote(s, sub->str);
    g_string_append(s, " offset 0,-0.3\n");
    g_string_free(sub, TRUE);
    g_free(from_s);
    g_free(to_s);

    /* Lane backgrounds: alternate threads; each CPU's two lanes share one. */
    for (int i = 0; i < n; i++) {
        const Lane *ln = lane_at(c, i);
        bool shade = i < c->nthread_lanes ? i % 2 == 1 : ((i - c->nthread_lanes) / 2) % 2 == 0;

        if (shade)
            g_string_append_printf(s, "set object rect from graph 0, first %.2f to graph 1, first %.2f "
                                   "fc rgb '#f3f4f6' fs solid 1.0 noborder behind\n", ln->y0, ln->y0 + ln->h);
    }
    if (c->nthread_lanes > 0 && c->tl->ncpus > 0)
        g_string_append_printf(s, "set arrow from graph 0, first %d to graph 1, first %d nohead "
                               "lc rgb '#888888' lw 1 back\n", 2 * tl->ncpus, 2 * tl->ncpus);
    if (tl->t_end > c->from && tl->t_end < c->to) {
        g_string_append_printf(s, "set arrow from first %" PRId64 "/S, graph 0 to first %" PRId64 "/S, graph 1 "
                               "nohead lc rgb '#999999' lw 1 dt 2 front\n", tl->t_end, tl->t_end);
    }
    if (c->band_px > 0)
        g_string_append_printf(s, "set arrow from graph 0, first %g to graph 1, first %g nohead "
                               "lc rgb '#bbbbbb' lw 1 dt 2 back\n", c->units, c->units);
    /* IRQL lanes: faint guides at each level; the level letters at the right. */
    for (int cpu = 0; cpu < tl->ncpus; cpu++) {
        const Lane *ln = lane_at(c, cpu_lane(c, cpu) + 1);
        static const char letters[] = "PADH";

        for (int lv = 0; lv < 4; lv++) {
            double y = irql_y(ln, lv);

            g_string_append_printf(s, "set arrow from graph 0, first %.3f to graph 1, first %.3f nohead "
                                   "lc rgb '#dddddd' lw 1 dt 3 back\n", y, y);
            if (c->lane_px >= 30 || lv == 0 || lv == 2)
                g_string_append_printf(s, "set label '%c' at graph 1, first %.3f offset 0.4,0 left "
                                       "font ',6' tc rgb '#777777'\n", letters[lv], y);
        }
    }
}

static void
clause(Chart *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void
clause(Chart *c, const char *fmt, ...)
{
    va_list ap;

    g_string_append(c->plot, c->plot->len ? ", \\\n     " : "plot ");
    va_start(ap, fmt);
    g_string_append_vprintf(c->plot, fmt, ap);
    va_end(ap);
}

static void
script_plot(Chart *c, const int *state_idx, const int *routine_idx, const int *glyph_idx,
            const int *cpu_idx, const int *text_idx, const int *mark_idx)
{
    GString *s = c->script;

    clause(c, "NaN notitle");
    for (int cat = 0; cat < CAT__COUNT; cat++) {
        if (state_idx[cat] < 0)
            continue;
        clause(c, "'states.dat' index %d using (($1+$2)/2/S):(($3+$4)/2):($1/S):($2/S):3:4 "
                  "with boxxyerror fs solid 1.0 noborder lc rgb '%s'", state_idx[cat], category_rgb(cat));
    }
    if (cpu_idx[CB_NARROW] >= 0)
        clause(c, "'cpus.dat' index %d using (($1+$3)/2/S):(($4+$5)/2):($1/S):($3/S):4:5:6 "
                  "with boxxyerror fs solid 1.0 noborder fc rgb variable", cpu_idx[CB_NARROW]);
    if (cpu_idx[CB_WIDE] >= 0)
        clause(c, "'cpus.dat' index %d using (($1+$3)/2/S):(($4+$5)/2):($1/S):($3/S):4:5:6 "
                  "with boxxyerror fs solid 1.0 border lc rgb '#8a8a8a' fc rgb variable", cpu_idx[CB_WIDE]);
    for (int k = 0; k < ROUTINE_KINDS; k++) {
        if (routine_idx[k] < 0)
            continue;
        clause(c, "'routines.dat' index %d using (($1+$3)/2/S):(($4+$5)/2):($1/S):($3/S):4:5 "
                  "with boxxyerror fs solid 1.0 noborder lc rgb '%s'", routine_idx[k], routine_rgb(k));
    }
    if (c->irql_used)
        clause(c, "'irql.dat' using ($1/S):2 with steps lc rgb '#1f4e9c' lw 1.3");
    if (text_idx[TX_BAR] >= 0)
        clause(c, "'texts.dat' index %d using ($1/S):2:3 with labels center font ',8' tc rgb '#222222'",
               text_idx[TX_BAR]);
    if (text_idx[TX_MORE] >= 0)
        clause(c, "'texts.dat' index %d using ($1/S):2:3 with labels left font ',7' tc rgb '#555555'",
               text_idx[TX_MORE]);
    for (int k = 0; k < GL__COUNT; k++) {
        if (glyph_idx[k] < 0)
            continue;
        clause(c, "'glyphs.dat' index %d using ($2/S):3 with points pt %d ps %.2f lc rgb '%s'",
               glyph_idx[k], glyph_style[k].pt, glyph_style[k].ps, glyph_style[k].rgb);
    }
    if (c->mark_labels || c->bugcheck) {
        clause(c, "'leaders.dat' using ($1/S):2 with lines lc rgb '#9a9a9a' lw 0.8 dt 3");
        for (int k = 0; k < MK__COUNT; k++) {
            bool right = k == MK_MARK_RIGHT || k == MK_BUG_RIGHT;
            const char *rgb = k >= MK_BUG_LEFT ? "#cc0000" : "#000000";

            if (mark_idx[k] < 0)
                continue;
            clause(c, "'marks.dat' index %d using ($1/S):2:3 with labels %s offset %s,0 font ',8' "
                      "point pt 7 ps 0.35 lc rgb '%s' tc rgb '%s'", mark_idx[k], right ? "right" : "left",
                   right ? "-0.5" : "0.5", rgb, rgb);
        }
    }
    g_string_append(s, c->plot->str);
    g_string_append(s, "\n");
}

/* ---- running gnuplot ------------------------------------------------------------------ */

static bool
write_file(const char *dir, const char *name, const GString *content, GError **err)
{
    char *path = g_build_filename(dir, name, NULL);
    GError *e = NULL;
    bool ok = g_file_set_contents(path, content->str, (gssize)content->len, &e);

    if (!ok) {
        g_set_error(err, PLOT_ERROR, PLOT_ERR_WRITE, "cannot write %s: %s", path, e->message);
        g_error_free(e);
    }
    g_free(path);
    return ok;
}

/* The last non-empty line of gnuplot's stderr that says what went wrong. */
static char *
gnuplot_reason(const char *err_text)
{
    char **lines = g_strsplit(err_text ? err_text : "", "\n", -1);
    char *reason = NULL;

    for (char **l = lines; *l; l++) {
        char *t = g_strstrip(g_strdup(*l));

        if (*t && !g_str_has_prefix(t, "^") && !g_str_has_prefix(t, "warning:")) {
            g_free(reason);
            reason = t;
        } else {
            g_free(t);
        }
    }
    g_strfreev(lines);
    return reason ? reason : g_strdup("no message");
}

static int
run_gnuplot(const char *program, const char *dir, const char *out_tmp, bool svg, GError **err)
{
    char *prog = g_find_program_in_path(program ? program : "gnuplot");
    GString *expr = g_string_new("outfile=");
    char *out_abs = g_canonicalize_filename(out_tmp, NULL);
    char *std_err = NULL;
    int status = 0, code = 0;
    GError *e = NULL;

    if (!prog) {
        g_set_error(err, PLOT_ERROR, PLOT_ERR_NO_GNUPLOT,
                    "%s not found on PATH: charts are drawn by gnuplot (Debian: apt-get install gnuplot-nox)",
                    program ? program : "gnuplot");
        g_string_free(expr, TRUE);
        g_free(out_abs);
        return PLOT_ERR_NO_GNUPLOT;
    }
    gp_quote(expr, out_abs);
    g_string_append_printf(expr, "; outfmt='%s'", svg ? "svg" : "png");

    char *argv[] = { prog, (char *)"-e", expr->str, (char *)"plot.gp", NULL };

    if (!g_spawn_sync(dir, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &std_err, &status, &e)) {
        g_set_error(err, PLOT_ERROR, PLOT_ERR_GNUPLOT, "cannot run %s: %s", prog, e->message);
        g_error_free(e);
        code = PLOT_ERR_GNUPLOT;
    } else if (!g_spawn_check_wait_status(status, &e)) {
        char *why = gnuplot_reason(std_err);

        g_set_error(err, PLOT_ERROR, PLOT_ERR_GNUPLOT, "gnuplot failed (%s): %s", e->message, why);
        g_free(why);
        g_error_free(e);
        code = PLOT_ERR_GNUPLOT;
    } else {
        GStatBuf sb;

        if (g_stat(out_abs, &sb) != 0 || sb.st_size == 0) {
            char *why = gnuplot_reason(std_err);

            g_set_error(err, PLOT_ERROR, PLOT_ERR_GNUPLOT, "gnuplot wrote no image (%s)", why);
            g_free(why);
            code = PLOT_ERR_GNUPLOT;
        }
    }
    g_free(std_err);
    g_free(prog);
    g_free(out_abs);
    g_string_free(expr, TRUE);
    return code;
}

static void
remove_dir(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *n;

    if (d) {
        while ((n = g_dir_read_name(d))) {
            char *p = g_build_filename(dir, n, NULL);

            g_unlink(p);
            g_free(p);
        }
        g_dir_close(d);
    }
    g_rmdir(dir);
}

static void
chart_clear(Chart *c)
{
    if (c->lanes)
        g_array_unref(c->lanes);
    g_free(c->thread_lane);
    g_free(c->thread_group);
    g_free(c->term_t);
    for (int f = 0; f < F__COUNT; f++)
        if (c->files[f])
            g_string_free(c->files[f], TRUE);
    blocks_free(c->texts, TX__COUNT);
    blocks_free(c->cpu_blk, CB__COUNT);
    blocks_free(c->mark_blk, MK__COUNT);
    if (c->plot)
        g_string_free(c->plot, TRUE);
    if (c->script)
        g_string_free(c->script, TRUE);
}

static char *
default_title(const PlotTimeline *tl, const char *db)
{
    const char *scenario = g_hash_table_lookup(tl->meta, "scenario");

    return g_path_get_basename(scenario && *scenario ? scenario : db);
}

/* Build every file of the chart in memory. */
static int
chart_build(Chart *c, const PlotOptions *opt, const char *db, GError **err)
{
    const PlotTimeline *tl = c->tl;
    int state_idx[CAT__COUNT], routine_idx[ROUTINE_KINDS], glyph_idx[GL__COUNT];
    int cpu_idx[CB__COUNT], text_idx[TX__COUNT], mark_idx[MK__COUNT];
    GArray *glyphs, *items;
    GPtrArray *marks;
    int *rows;
    bool *right;
    char *title;

    c->from = opt->from >= 0 ? opt->from : 0;
    c->to = opt->to >= 0 ? opt->to : tl->t_end;
    if (opt->from >= 0 && opt->to >= 0 && opt->to <= opt->from) {
        g_set_error(err, PLOT_ERROR, PLOT_ERR_USAGE, "--to must be later than --from");
        return PLOT_ERR_USAGE;
    }
    /* The whole run: a little room after its end, where instants at the
     * last moment (often the point of the story) would sit on the border. */
    if (opt->to < 0 && tl->t_end >= c->from)
        c->to = tl->t_end + MAX((tl->t_end - c->from) / 40, 1);
    if (opt->to < 0 && c->to - c->from < 1000)
        c->to = c->from + 1000;     /* a run of (almost) no time: show 1 µs */
    if (c->to <= c->from)
        c->to = c->from + 1000;     /* an empty window: show 1 µs */
    c->span = c->to - c->from;
    if (c->span <= 5000000) {
        c->unit = 1e3;
        c->unit_name = "\xc2\xb5s";
    } else if (c->span <= 5000000000LL) {
        c->unit = 1e6;
        c->unit_name = "ms";
    } else {
        c->unit = 1e9;
        c->unit_name = "s";
    }

    c->term_t = g_new(int64_t, tl->threads->len + 1);
    for (guint i = 0; i < tl->threads->len; i++)
        c->term_t[i] = INT64_MAX;
    for (guint i = 0; i < tl->states->len; i++) {
        const PlotState *s = &g_array_index(tl->states, PlotState, i);

        if (s->state == Terminated && s->t0 < c->term_t[s->thread])
            c->term_t[s->thread] = s->t0;
    }

    c->lanes = g_array_new(FALSE, FALSE, sizeof(Lane));
    g_array_set_clear_func(c->lanes, lane_clear);
    if (!chart_lanes(c, opt->threads, err))
        return PLOT_ERR_USAGE;
    chart_geometry_x(c);

    for (int f = 0; f < F__COUNT; f++)
        c->files[f] = g_string_new(NULL);
    c->plot = g_string_new(NULL);
    c->script = g_string_new(NULL);


    /* Marks decide the band height, which y of everything depends on only
     * through the band (lanes are placed from the bottom), so they can be
     * placed first. */
    glyphs = g_array_new(FALSE, FALSE, sizeof(Glyph));
    marks = g_ptr_array_new_with_free_func(mark_label_free);
    collect_glyphs(c, glyphs, marks);
    rows = g_new0(int, marks->len + 1);
    right = g_new0(bool, marks->len + 1);
    marks_place(c, marks, rows, right);

    chart_states(c, state_idx);
    chart_cpus(c);
    chart_routines(c, routine_idx);
    chart_irql(c);
    chart_glyphs(c, glyphs, glyph_idx);
    marks_write(c, marks, rows, right);
    blocks_write(c, F_CPUS, c->cpu_blk, CB__COUNT, cpu_block_name, cpu_idx,
                 "t0_ns t1_ns t1_shown_ns y_low y_high rgb thread (t1_shown: widened to 2 px; "
                 "a border on the wide ones)");
    blocks_write(c, F_TEXTS, c->texts, TX__COUNT, text_block_name, text_idx,
                 "t_ns y text (bar: a name inside a bar; more: markers not shown)");
    blocks_write(c, F_MARKS, c->mark_blk, MK__COUNT, mark_block_name, mark_idx,
                 "t_ns y label; mark() and bugcheck labels above the lanes");

    items = legend_items(c);
    chart_geometry_y(c, items);
    title = opt->title ? g_strdup(opt->title) : default_title(tl, db);
    script_header(c, title);
    legend_layout(c, items, c->script);
    g_string_append(c->script, "\n");
    script_plot(c, state_idx, routine_idx, glyph_idx, cpu_idx, text_idx, mark_idx);

    g_free(title);
    g_array_unref(items);
    g_free(rows);
    g_free(right);
    g_ptr_array_unref(marks);
    g_array_unref(glyphs);
    return 0;
}

static bool
has_suffix_ci(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && g_ascii_strcasecmp(s + n - m, suffix) == 0;
}

/*
 * See plot.h. Order: the output name is checked, the trace read, the files
 * built in memory and written, gnuplot run on a temporary output next to
 * `out`, which is renamed onto `out` when gnuplot succeeded and wrote a
 * non-empty file. The data directory is removed unless kept.
 */
char *
plot_output_target(const char *out, bool *in_place)
{
    struct stat st;

    *in_place = false;
    if (stat(out, &st) == 0 && !S_ISREG(st.st_mode)) {
        *in_place = true;
        return g_strdup(out);
    }
    if (lstat(out, &st) == 0 && S_ISLNK(st.st_mode)) {
        char *real = realpath(out, NULL);

        if (real) {
            char *copy = g_strdup(real);

            free(real);
            return copy;
        }
        *in_place = true;           /* a dangling link: writing through it creates its target */
    }
    return g_strdup(out);
}

int
plot_output_commit(const char *tmp, const char *target, const char *out, int code, GError **err)
{
    if (code == 0 && g_rename(tmp, target) != 0) {
        int e = errno;

        g_set_error(err, PLOT_ERROR, PLOT_ERR_WRITE, "cannot write %s: %s", out, g_strerror(e));
        code = PLOT_ERR_WRITE;
    }
    if (code != 0)
        g_unlink(tmp);
    return code;
}

int
plot_trace(const char *db, const char *out, const PlotOptions *opt_in, GError **err)
{
    PlotOptions defaults;
    const PlotOptions *opt = opt_in;
    PlotTimeline *tl = NULL;
    Chart c = { 0 };
    char *dir = NULL, *out_dir = NULL, *out_tmp = NULL;
    bool svg;
    int code;

    g_return_val_if_fail(db != NULL && out != NULL, PLOT_ERR_USAGE);
    if (!opt) {
        plot_options_init(&defaults);
        opt = &defaults;
    }
    if (has_suffix_ci(out, ".svg")) {
        svg = true;
    } else if (has_suffix_ci(out, ".png")) {
        svg = false;
    } else {
        g_set_error(err, PLOT_ERROR, PLOT_ERR_USAGE, "%s: the chart's name must end in .png or .svg", out);
        return PLOT_ERR_USAGE;
    }
    out_dir = g_path_get_dirname(out);
    if (!opt->data_only && !g_file_test(out_dir, G_FILE_TEST_IS_DIR)) {
        g_set_error(err, PLOT_ERROR, PLOT_ERR_WRITE, "cannot write %s: no directory %s", out, out_dir);
        g_free(out_dir);
        return PLOT_ERR_WRITE;
    }
    g_free(out_dir);

    code = plot_timeline_load(db, &tl, err);
    if (code != 0)
        return code;
    c.tl = tl;
    code = chart_build(&c, opt, db, err);

    if (code == 0) {
        GError *e = NULL;

        if (opt->keep_data) {
            if (g_mkdir_with_parents(opt->keep_data, 0755) != 0) {
                int en = errno;

                g_set_error(err, PLOT_ERROR, PLOT_ERR_WRITE, "cannot create %s: %s", opt->keep_data,
                            g_strerror(en));
                code = PLOT_ERR_WRITE;
            } else {
                dir = g_strdup(opt->keep_data);
            }
        } else {
            dir = g_dir_make_tmp("apcsim-plot-XXXXXX", &e);
            if (!dir) {
                g_set_error(err, PLOT_ERROR, PLOT_ERR_WRITE, "cannot create a temporary directory: %s",
                            e->message);
                g_error_free(e);
                code = PLOT_ERR_WRITE;
            }
        }
    }
    for (int f = 0; code == 0 && f < F__COUNT; f++)
        if (!write_file(dir, file_names[f], c.files[f], err))
            code = PLOT_ERR_WRITE;
    if (code == 0 && !write_file(dir, "plot.gp", c.script, err))
        code = PLOT_ERR_WRITE;

    if (code == 0 && !opt->data_only) {
        bool in_place;
        char *target = plot_output_target(out, &in_place);

        progress_say("gnuplot is drawing %s", out);
        if (in_place) {
            code = run_gnuplot(opt->gnuplot, dir, target, svg, err);
        } else {
            out_tmp = g_strdup_printf("%s.tmp-%d", target, (int)getpid());
            code = run_gnuplot(opt->gnuplot, dir, out_tmp, svg, err);
            code = plot_output_commit(out_tmp, target, out, code, err);
        }
        g_free(target);
    }
    progress_end();
    if (dir && !opt->keep_data)
        remove_dir(dir);
    g_free(out_tmp);
    g_free(dir);
    chart_clear(&c);
    plot_timeline_free(tl);
    return code;
}
