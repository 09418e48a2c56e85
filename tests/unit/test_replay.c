/*
 * test_replay.c - replay proven against the live simulator (differential),
 * and replay's pieces on their own.
 *
 *   /replay/differential/<scenario>
 *       Every scenario file - the .lua files of scenarios/ and, recursively,
 *       of tests/scenarios/, found when the test starts, so new files are
 *       covered without a change here - and a few inline scenarios for paths
 *       no file takes yet (inline/...), runs through the real Lua runtime
 *       into a real trace. At comparison points the live machine's canonical
 *       text (ke_snapshot_text) is kept; afterwards the trace is replayed
 *       from the file and the text rebuilt at each point's seq must be the
 *       same, line for line. Then the same points are visited again,
 *       backwards, in a copy of the trace that `apcsim replay --index` gave
 *       dense checkpoints (every 16 rows): the saved and loaded states must
 *       give the same texts. A third replay, fed by the sink during the run
 *       (what the trace writer's checkpoint hook sees), is compared at every
 *       point too. Every row must fit the model
 *       (replay_state_disagreements == 0). A scenario with several
 *       "-- args:" lines runs once per line (<path>@2, @3 ... for the
 *       second, third ...). A scenario whose setup fails writes no trace
 *       and is skipped.
 *
 *       Comparison points are the moments the runner is about to resume
 *       scenario code (a wrapper around the machine's KRUNNER), and the end
 *       of the run. These are kernel step boundaries, where every
 *       transition so far has been both made and logged. The row hook
 *       (m->row_hook) is NOT such a point: most traced setters emit their
 *       row before they assign (ki_set_irql, ki_set_state, ke_trace_field's
 *       callers, ...) while others emit after (APC_INSERT, APC_DEQUEUE,
 *       DPC_QUEUE), so the state seen from the hook is neither "rows up to
 *       seq" nor "rows up to seq - 1"; /replay/row-hook-timing measures it.
 *       Points are taken at every resume while a run has fewer than 1500,
 *       then spread out (the one scenario with 250,000 rows).
 *
 *       Each scenario runs in a child process (fork), so a kernel assertion
 *       or a crash fails that scenario, with the child's last words, and
 *       the others still run (APCSIM_REPLAY_NO_FORK=1 runs in-process, for
 *       a debugger).
 *
 *   /replay/row-hook-timing       (diagnostic, with APCSIM_REPLAY_HOOK_AUDIT=1)
 *       compares at every row hook instead, and reports per row kind how
 *       often the live state differs from "all rows up to seq".
 *   /replay/checkpointer          the writer hook on a synthetic row stream:
 *                                 intervals, the table, states equal to a
 *                                 straight replay, damaged states refused.
 *   /replay/parse-time            the --at syntax.
 *   /replay/refuses-bad-files     replay_open's exit statuses.
 *
 * A failure names the scenario, the row (seq and time) and the first line
 * that differs, live and replayed.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ke/ke.h"
#include "ke/snapshot.h"
#include "lua/runtime.h"
#include "testutil.h"
#include "trace/replay.h"
#include "trace/store.h"

#define MAX_DENSE_POINTS 1500       /* points per run at every resume; spread out beyond */
#define INDEX_MIN_ROWS 16           /* checkpoint interval of the indexed copy */
#define AUDIT_MAX_ROWS 20000        /* rows audited per scenario by the row-hook audit */

static char *g_root;                /* the source tree: scenarios/, tests/scenarios/, lua/ */

/* ---- helpers ------------------------------------------------------------------ */

/* NULL if a and b are equal, else "line N:\n  live:   ...\n  replay: ..." (g_free). */
static char *
first_difference(const char *live, const char *replayed)
{
    char **a = g_strsplit(live, "\n", -1), **b = g_strsplit(replayed, "\n", -1);
    char *msg = NULL;
    guint na = g_strv_length(a), nb = g_strv_length(b);

    for (guint i = 0; i < MAX(na, nb) && !msg; i++) {
        const char *x = i < na ? a[i] : "(no line)", *y = i < nb ? b[i] : "(no line)";

        if (strcmp(x, y) != 0)
            msg = g_strdup_printf("line %u:\n  live:   %s\n  replay: %s", i + 1, x, y);
    }
    g_strfreev(a);
    g_strfreev(b);
    return msg;
}

static char *
tmpdir_new(void)
{
    GError *err = NULL;
    char *dir = g_dir_make_tmp("apcsim-replay-XXXXXX", &err);

    g_assert_no_error(err);
    return dir;
}

static bool
copy_file(const char *from, const char *to)
{
    gchar *data = NULL;
    gsize len = 0;
    bool ok = g_file_get_contents(from, &data, &len, NULL) && g_file_set_contents(to, data, (gssize)len, NULL);

    g_free(data);
    return ok;
}

/* ---- one live run ------------------------------------------------------------------ */

typedef struct Point {
    int64_t seq;
    char *live;                     /* canonical text of the live machine */
} Point;

typedef struct LiveRun {
    KMACHINE *m;
    KRUNNER orig;                   /* the Lua runtime's runner, which ours wraps */
    KTRACE_SINK store;              /* the trace store's sink, which ours wraps */
    ReplayState *fed;               /* replay fed by the sink, row by row */
    GHashTable *names;              /* "what:id" -> name, as registered */
    int64_t rows;                   /* rows emitted */
    GArray *points;                 /* Point */
    int64_t stride;
    char *fed_failure;              /* first live-vs-fed difference */
    /* the row-hook audit */
    bool audit;
    GHashTable *audit_kinds;        /* kind name -> count of differing rows */
    int64_t audit_rows, audit_diff;
    int last_kind;
} LiveRun;

static const char *
lr_name_cb(void *ctx, const char *what, int32_t id)
{
    LiveRun *lr = ctx;
    char key[64];

    g_snprintf(key, sizeof key, "%s:%" PRId32, what, id);
    return g_hash_table_lookup(lr->names, key);
}

static void
lr_emit(void *ctx, const KTRACE_RECORD *rec)
{
    LiveRun *lr = ctx;

    lr->store.emit(lr->store.ctx, rec);
    replay_state_apply(lr->fed, ++lr->rows, rec);
    lr->last_kind = rec->kind;
}

static void
lr_sink_name(void *ctx, const char *what, int32_t id, const char *name)
{
    LiveRun *lr = ctx;

    lr->store.name(lr->store.ctx, what, id, name);
    g_hash_table_replace(lr->names, g_strdup_printf("%s:%" PRId32, what, id), g_strdup(name));
}

static char *
lr_fed_text(LiveRun *lr)
{
    GString *s = g_string_new(NULL);

    ke_snapshot_format(replay_state_snapshot(lr->fed), lr_name_cb, lr, s);
    return g_string_free(s, FALSE);
}

/* A comparison point: the live text now (and the fed replay's at once). */
static void
lr_point(LiveRun *lr, bool force)
{
    int64_t seq = lr->m->rows;
    Point *last = lr->points->len ? &g_array_index(lr->points, Point, lr->points->len - 1) : NULL;

    g_assert_cmpint(seq, ==, lr->rows);
    if (!force && last && seq != last->seq && seq - last->seq < lr->stride)
        return;

    GString *s = g_string_new(NULL);

    ke_snapshot_text(lr->m, s);
    /* Several resumes without a row in between: one point, unless the state
     * changed without a row (then both are kept and one will fail). */
    if (last && last->seq == seq && strcmp(last->live, s->str) == 0) {
        g_string_free(s, TRUE);
        return;
    }
    if (!lr->fed_failure) {
        char *fed = lr_fed_text(lr);
        char *d = first_difference(s->str, fed);

        if (d)
            lr->fed_failure = g_strdup_printf("the sink-fed replay at row %" PRId64 " differs at %s", seq, d);
        g_free(d);
        g_free(fed);
    }

    Point p = { seq, g_string_free(s, FALSE) };

    g_array_append_val(lr->points, p);
    if (lr->points->len >= MAX_DENSE_POINTS)
        lr->stride = MAX(lr->stride, seq / (MAX_DENSE_POINTS / 2) + 1);
}

static KRUN_RESULT
lr_resume(void *ctx, KTHREAD *t, KFRAME *f, int64_t *ret)
{
    LiveRun *lr = ctx;

    lr_point(lr, false);
    return lr->orig.resume(lr->orig.ctx, t, f, ret);
}

static void
lr_release(void *ctx, KFRAME *f)
{
    LiveRun *lr = ctx;

    lr->orig.release(lr->orig.ctx, f);
}

static void
lr_unref(void *ctx, int32_t ref)
{
    LiveRun *lr = ctx;

    lr->orig.unref(lr->orig.ctx, ref);
}

static int32_t
lr_call_begin(void *ctx, KAPC *apc)
{
    LiveRun *lr = ctx;

    return lr->orig.call_begin(lr->orig.ctx, apc);
}

static const char *
lr_where(void *ctx)
{
    LiveRun *lr = ctx;

    return lr->orig.where ? lr->orig.where(lr->orig.ctx) : NULL;
}

/* The audit: at every row hook, live versus all rows up to seq. */
static void
lr_row_hook(void *ctx, KMACHINE *m, int64_t seq)
{
    LiveRun *lr = ctx;
    GString *s;
    char *fed;

    if (!lr->audit || seq != lr->rows || lr->audit_rows >= AUDIT_MAX_ROWS)
        return;
    s = g_string_new(NULL);
    ke_snapshot_text(m, s);
    fed = lr_fed_text(lr);
    lr->audit_rows++;
    if (strcmp(s->str, fed) != 0) {
        const char *kind = ktrace_kind_info[lr->last_kind].name;
        gpointer n = g_hash_table_lookup(lr->audit_kinds, kind);

        lr->audit_diff++;
        g_hash_table_replace(lr->audit_kinds, (gpointer)kind, GINT_TO_POINTER(GPOINTER_TO_INT(n) + 1));
    }
    g_free(fed);
    g_string_free(s, TRUE);
}

static void
lr_clear(LiveRun *lr)
{
    for (guint i = 0; lr->points && i < lr->points->len; i++)
        g_free(g_array_index(lr->points, Point, i).live);
    if (lr->points)
        g_array_free(lr->points, TRUE);
    if (lr->names)
        g_hash_table_destroy(lr->names);
    if (lr->audit_kinds)
        g_hash_table_destroy(lr->audit_kinds);
    replay_state_free(lr->fed);
    g_free(lr->fed_failure);
}

/* The "-- args:" header lines of a scenario (the text after the colon), in
 * order; the first is the main run (tests/run_scenarios.sh). */
static GPtrArray *
scenario_args_lines(const char *path)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    gchar *text = NULL;

    if (g_file_get_contents(path, &text, NULL, NULL)) {
        char **lines = g_strsplit(text, "\n", -1);

        for (char **l = lines; *l; l++)
            if (g_str_has_prefix(*l, "-- args:"))
                g_ptr_array_add(out, g_strdup(*l + strlen("-- args:")));
        g_strfreev(lines);
    }
    g_free(text);
    return out;
}

/* A test's scenario: "path" runs with the first "-- args:" line, "path@N"
 * with the N-th (N >= 2). Returns the path (g_free) and the line's index. */
static char *
split_run(const char *rel, guint *which)
{
    const char *at = strrchr(rel, '@');

    *which = 0;
    if (at && at[1] && strspn(at + 1, "0123456789") == strlen(at + 1)) {
        *which = (guint)g_ascii_strtoull(at + 1, NULL, 10) - 1;
        return g_strndup(rel, (gsize)(at - rel));
    }
    return g_strdup(rel);
}

/* One "-- args:" line of a scenario (which) into runtime options. Returns
 * false (with *why) for an argument this test does not know. */
static bool
scenario_options(const char *path, guint which, LuaRuntimeOptions *opt, GHashTable *params, char **why)
{
    GPtrArray *lines = scenario_args_lines(path);
    gchar **argv = NULL;
    int argc = 0;
    bool ok = true;
    const char *args = which < lines->len ? lines->pdata[which] : "";

    if (!g_shell_parse_argv(args, &argc, &argv, NULL))
        argc = 0;
    for (int i = 0; ok && i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(a, "--param") == 0 && v && strchr(v, '=')) {
            const char *eq = strchr(v, '=');

            g_hash_table_replace(params, g_strndup(v, (gsize)(eq - v)), g_strdup(eq + 1));
            i++;
        } else if (strcmp(a, "--instruction-budget") == 0 && v) {
            opt->instruction_budget = g_ascii_strtoll(v, NULL, 10);
            i++;
        } else if (strcmp(a, "--seed") == 0 && v) {
            opt->seed = g_ascii_strtoll(v, NULL, 10);
            i++;
        } else if (strcmp(a, "--max-events") == 0 && v) {
            opt->max_events = g_ascii_strtoll(v, NULL, 10);
            i++;
        } else if (strcmp(a, "--profile") == 0 && v) {
            opt->profile = ke_profile_from_name(v);
            ok = opt->profile >= 0;
            i++;
        } else {
            ok = false;
        }
        if (!ok)
            *why = g_strdup_printf("-- args:%s: this test does not know '%s'", args, a);
    }
    g_strfreev(argv);
    g_ptr_array_free(lines, TRUE);
    return ok;
}

/* Run a scenario live into `db`, keeping comparison points. Returns false
 * with *skip (g_free) if there is no trace to compare: the scenario's setup
 * fails, or its "-- args:" are unknown here. */
static bool
live_run(const char *scenario, guint which, const char *db, bool audit, LiveRun *lr, char **skip)
{
    GError *err = NULL;
    char *lua_dir = g_build_filename(g_root, "lua", NULL);
    GHashTable *params = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    LuaRuntimeOptions opt = { .scenario = scenario, .lua_dir = lua_dir, .params = params, .seed = -1,
                              .profile = -1, .max_events = -1 };
    TraceStore *ts;
    LuaRuntime *rt;
    char *setup_err = NULL, *why = NULL;

    memset(lr, 0, sizeof *lr);
    lr->fed = replay_state_new();
    lr->names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    lr->points = g_array_new(FALSE, FALSE, sizeof(Point));
    lr->stride = 1;
    lr->audit = audit;
    lr->audit_kinds = g_hash_table_new(g_str_hash, g_str_equal);
    if (!scenario_options(scenario, which, &opt, params, &why)) {
        *skip = why;
        g_hash_table_unref(params);
        g_free(lua_dir);
        return false;
    }

    ts = trace_store_open(db, &err);
    g_assert_no_error(err);
    lr->store = trace_store_sink(ts);
    opt.sink = (KTRACE_SINK){ .ctx = lr, .emit = lr_emit, .name = lr_sink_name };
    rt = lua_runtime_new(&opt, &setup_err);
    if (!rt) {
        char *partial = NULL;

        trace_store_abandon(ts, &partial, NULL);
        if (partial)
            g_unlink(partial);
        g_free(partial);
        *skip = g_strdup_printf("the scenario's setup fails, so there is no trace: %s", setup_err);
        g_free(setup_err);
        g_hash_table_unref(params);
        g_free(lua_dir);
        return false;
    }
    lr->m = lua_runtime_machine(rt);
    lr->orig = lr->m->runner;
    g_assert_nonnull(lr->orig.resume);
    lr->m->runner = (KRUNNER){ lr, lr_resume, lr_release, lr_unref, lr_call_begin, lr_where };
    if (g_getenv("APCSIM_CHECK_INVARIANTS") && *g_getenv("APCSIM_CHECK_INVARIANTS") == '1')
        lr->m->check_invariants = true;
    if (audit) {
        lr->m->row_hook = lr_row_hook;
        lr->m->row_hook_ctx = lr;
    }
    lua_runtime_run(rt);
    lr_point(lr, true);                     /* after RUN_END */
    trace_store_meta(ts, "scenario", scenario);
    g_assert_true(trace_store_finish(ts, &err));
    g_assert_no_error(err);
    lr->m = NULL;
    lua_runtime_free(rt);
    g_hash_table_unref(params);
    g_free(lua_dir);
    return true;
}

/* ---- isolation: each scenario in its own process ---------------------------------------------- */

/* What a check in a child process found; the parent turns it into a test
 * result. Only the first failure is kept. */
typedef struct Outcome {
    int kind;                       /* OUT_PASS, OUT_FAIL, OUT_SKIP */
    GString *msg;
} Outcome;

enum { OUT_PASS = 0, OUT_FAIL, OUT_SKIP };

static void outcome_fail(Outcome *o, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void
outcome_fail(Outcome *o, const char *fmt, ...)
{
    va_list ap;

    if (o->kind == OUT_FAIL)
        return;
    o->kind = OUT_FAIL;
    g_string_truncate(o->msg, 0);
    va_start(ap, fmt);
    g_string_append_vprintf(o->msg, fmt, ap);
    va_end(ap);
}

/* Record a failure and leave the function when cond is false. */
#define CHECK(o, cond, ...)                 \
    do {                                    \
        if (!(cond)) {                      \
            outcome_fail((o), __VA_ARGS__); \
            goto out;                       \
        }                                   \
    } while (0)

typedef void (*ChildFn)(const char *rel, const char *dir, Outcome *o);

/* The last lines of a file, for a child that died. */
static char *
file_tail(const char *path, gsize max)
{
    gchar *text = NULL;
    gsize len = 0;
    char *tail;

    if (!g_file_get_contents(path, &text, &len, NULL))
        return g_strdup("(nothing)");
    tail = g_strdup(len > max ? text + len - max : text);
    g_free(text);
    return tail;
}

/*
 * Run fn(rel, dir) in a child process (fork) and return its outcome: a
 * kernel assertion, a crash or a hang (SIGALRM after 120 s) in one
 * scenario then fails that scenario, with the child's last words, and the
 * other scenarios still run. APCSIM_REPLAY_NO_FORK=1 runs fn in-process
 * (for a debugger).
 */
static Outcome
run_isolated(ChildFn fn, const char *rel, const char *dir)
{
    Outcome o = { OUT_PASS, g_string_new(NULL) };
    char *result = g_build_filename(dir, "result", NULL);
    char *errlog = g_build_filename(dir, "stderr", NULL);
    const char *nofork = g_getenv("APCSIM_REPLAY_NO_FORK");
    pid_t pid;
    int status = 0;

    if (nofork && strcmp(nofork, "1") == 0) {
        fn(rel, dir, &o);
        goto done;
    }
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid == 0) {
        int fd = open(errlog, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        GString *res;

        if (fd >= 0)
            dup2(fd, STDERR_FILENO);
        alarm(120);
        fn(rel, dir, &o);
        if (g_test_failed() && o.kind != OUT_FAIL)
            outcome_fail(&o, "a check failed in the child process:\n%s", file_tail(errlog, 2000));
        res = g_string_new(NULL);
        g_string_printf(res, "%d\n%s", o.kind, o.msg->str);
        g_file_set_contents(result, res->str, (gssize)res->len, NULL);
        _exit(0);   /* no atexit handlers, no leak report for the child's copy of the parent */
    }
    if (pid < 0) {
        fn(rel, dir, &o);
        goto done;
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;

    gchar *text = NULL;

    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && g_file_get_contents(result, &text, NULL, NULL)) {
        char *nl = strchr(text, '\n');

        o.kind = (int)g_ascii_strtoll(text, NULL, 10);
        g_string_assign(o.msg, nl ? nl + 1 : "");
    } else {
        char *tail = file_tail(errlog, 1500);

        outcome_fail(&o, "%s: the run did not finish (%s %d); its last words:\n%s", rel,
                     WIFSIGNALED(status) ? "signal" : "exit status",
                     WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), tail);
        g_free(tail);
    }
    g_free(text);
done:
    g_free(result);
    g_free(errlog);
    return o;
}

/* Report an outcome as the current test's result. */
static void
report(Outcome *o)
{
    switch (o->kind) {
    case OUT_FAIL:
        g_test_fail_printf("%s", o->msg->str);
        break;
    case OUT_SKIP:
        g_test_skip(o->msg->str);
        break;
    default:
        if (o->msg->len)
            g_test_message("%s", o->msg->str);
        break;
    }
    g_string_free(o->msg, TRUE);
}

/* ---- the differential test ---------------------------------------------------------------- */

static bool
compare_at(Replay *r, const char *scenario, const Point *p, const char *how, Outcome *o)
{
    GError *err = NULL;
    GString *s = g_string_new(NULL);
    char *d = NULL;

    if (!replay_seek(r, p->seq, &err)) {
        outcome_fail(o, "%s: %s: seeking to row %" PRId64 " failed: %s", scenario, how, p->seq,
                     err ? err->message : "?");
        g_clear_error(&err);
        g_string_free(s, TRUE);
        return false;
    }
    replay_snapshot_text(r, s);
    d = first_difference(p->live, s->str);
    if (d)
        outcome_fail(o, "%s: %s: the state rebuilt at row %" PRId64 " (t = %" PRId64 " ns) differs from the "
                     "live state at %s", scenario, how, p->seq, replay_time_of(r, p->seq), d);
    g_free(d);
    g_string_free(s, TRUE);
    return o->kind != OUT_FAIL;
}

/* Scenarios for paths that no scenario file takes yet (run like files, as
 * "inline/<name>"). */
typedef struct Inline {
    const char *name;
    const char *lua;
} Inline;

static const Inline inline_scenarios[] = {
    /* WaitIrql after a signal with Wait = TRUE: the wait begins at
     * SYNCH_LEVEL and returns to the IRQL the signal was made at (APC_LEVEL
     * for k, PASSIVE_LEVEL for u's SignalObjectAndWait). */
    { "signal_and_wait",
      "machine { cpus = 2 }\n"
      "local e1 = event { name = 'e1', type = 'synchronization' }\n"
      "local e2 = event { name = 'e2', type = 'synchronization' }\n"
      "local app = process { name = 'app.exe' }\n"
      "thread { name = 'k', system = true, affinity = 1, body = function()\n"
      "    KeRaiseIrql(APC_LEVEL)\n"
      "    KeSetEvent(e1, 0, true)\n"
      "    KeWaitForSingleObject(e2, {})\n"
      "    KeLowerIrql(PASSIVE_LEVEL)\n"
      "end }\n"
      "thread { name = 'u', process = app, affinity = 1, start_at = us(50), body = function()\n"
      "    compute(us(10))\n"
      "    SignalObjectAndWait(e1, e2, 1000, true)\n"
      "end }\n"
      "thread { name = 'w', system = true, affinity = 2, body = function()\n"
      "    for i = 1, 2 do\n"
      "        KeWaitForSingleObject(e1, {})\n"
      "        compute(us(100))\n"
      "        KeSetEvent(e2, 0)\n"
      "    end\n"
      "end }\n" },
    /* A periodic timer stays set, one period later, at each expiry; a
     * cancelled one is not set; a re-set one-shot timer. */
    { "periodic_timer",
      "machine { cpus = 1 }\n"
      "local tm = timer { name = 'tick', type = 'synchronization' }\n"
      "thread { name = 't', system = true, body = function()\n"
      "    KeSetTimer(tm, us(100), us(100))\n"
      "    for i = 1, 3 do KeWaitForSingleObject(tm, {}); compute(us(10)) end\n"
      "    KeCancelTimer(tm)\n"
      "    KeSetTimer(tm, us(50))\n"
      "    KeWaitForSingleObject(tm, {})\n"
      "end }\n" },
    /* KeRemoveQueueApc of an APC parked in a stack-attach buffer: the
     * buffer's KernelApcPending is cleared (its FIELD row names
     * SavedApcState), and the restored ApcState must not have it set. */
    { "remove_apc_parked_in_stack_buffer",
      "machine { cpus = 2 }\n"
      "local app = process { name = 'app.exe' }\n"
      "local db = process { name = 'db.exe' }\n"
      "local log = process { name = 'log.exe' }\n"
      "local A\n"
      "local worker\n"
      "worker = thread { name = 'worker', process = app, affinity = 2, body = function()\n"
      "  compute(us(10))\n"
      "  syscall('X', function()\n"
      "    local b1 = KeStackAttachProcess(db)\n"
      "    KeRaiseIrql(APC_LEVEL)\n"
      "    compute(us(50))\n"
      "    local b2 = KeStackAttachProcess(log)\n"
      "    compute(us(50))\n"
      "    KeUnstackDetachProcess(b2)\n"
      "    compute(us(10))\n"
      "    KeLowerIrql(PASSIVE_LEVEL)\n"
      "    KeUnstackDetachProcess(b1)\n"
      "  end)\n"
      "end }\n"
      "thread { name = 'q', system = true, affinity = 1, body = function()\n"
      "  compute(us(20))\n"
      "  A = KeInitializeApc { thread = worker, name = 'A', environment = 'AttachedApcEnvironment',\n"
      "                        kernel_routine = function() end, normal_routine = function() end }\n"
      "  KeInsertQueueApc(A)\n"
      "  compute(us(60))\n"
      "  KeRemoveQueueApc(A)\n"
      "end }\n" },
};

static void
differential(const char *run, const char *dir, Outcome *o)
{
    guint which;
    char *file = split_run(run, &which);
    char *scenario = g_build_filename(g_root, file, NULL);
    const char *rel = run;          /* what messages call it */

    if (g_str_has_prefix(rel, "inline/")) {
        for (size_t i = 0; i < G_N_ELEMENTS(inline_scenarios); i++) {
            if (strcmp(rel + strlen("inline/"), inline_scenarios[i].name) == 0) {
                char *base = g_strdup_printf("%s.lua", inline_scenarios[i].name);

                g_free(scenario);
                scenario = g_build_filename(dir, base, NULL);
                g_free(base);
                g_file_set_contents(scenario, inline_scenarios[i].lua, -1, NULL);
            }
        }
    }
    char *db = g_build_filename(dir, "t.db", NULL);
    char *indexed = g_build_filename(dir, "indexed.db", NULL);
    GError *err = NULL;
    LiveRun lr;
    Replay *r = NULL;
    int code = 0;
    char *skip = NULL;
    ReplaySeekInfo info;
    int64_t from_cp = 0;

    if (!live_run(scenario, which, db, false, &lr, &skip)) {
        o->kind = OUT_SKIP;
        g_string_assign(o->msg, skip);
        g_free(skip);
        goto out;
    }
    CHECK(o, !lr.fed_failure, "%s: %s", rel, lr.fed_failure);
    CHECK(o, replay_state_disagreements(lr.fed) == 0, "%s: %" PRId64 " rows do not fit the rebuilt state; the "
          "first: %s", rel, replay_state_disagreements(lr.fed), replay_state_first_disagreement(lr.fed));

    /* 1. straight through the trace file as the run wrote it */
    r = replay_open(db, &code, &err);
    CHECK(o, r, "%s: replay_open: %s", rel, err ? err->message : "?");
    CHECK(o, replay_last_seq(r) == lr.rows, "%s: the trace has %" PRId64 " rows, the run emitted %" PRId64, rel,
          replay_last_seq(r), lr.rows);
    for (guint i = 0; i < lr.points->len; i++)
        if (!compare_at(r, rel, &g_array_index(lr.points, Point, i), "replay from the first row", o))
            goto out;
    CHECK(o, replay_state_disagreements(replay_state(r)) == 0, "%s: %" PRId64 " rows do not fit the rebuilt "
          "state; the first: %s", rel, replay_state_disagreements(replay_state(r)),
          replay_state_first_disagreement(replay_state(r)));
    /* --at: the last row at a point's time is at or after the point, at that time */
    for (guint i = 0; i < lr.points->len; i += 7) {
        const Point *p = &g_array_index(lr.points, Point, i);
        int64_t t = replay_time_of(r, p->seq), s = replay_seq_at_time(r, t < 0 ? 0 : t);

        CHECK(o, s >= p->seq && replay_time_of(r, s) == t &&
                 (s == replay_last_seq(r) || replay_time_of(r, s + 1) > t),
              "%s: replay_seq_at_time(%" PRId64 ") = %" PRId64 " for row %" PRId64, rel, t, s, p->seq);
    }
    replay_close(r);
    r = NULL;

    /* 2. backwards through a copy with dense checkpoints: saved states */
    CHECK(o, copy_file(db, indexed), "%s: cannot copy the trace", rel);
    code = replay_index(indexed, INDEX_MIN_ROWS, NULL, &err);
    CHECK(o, code == 0, "%s: replay_index: %s", rel, err ? err->message : "?");
    r = replay_open(indexed, &code, &err);
    CHECK(o, r, "%s: replay_open (indexed): %s", rel, err ? err->message : "?");
    for (guint i = lr.points->len; i-- > 0;) {
        if (!compare_at(r, rel, &g_array_index(lr.points, Point, i), "replay from a checkpoint", o))
            goto out;
        replay_seek_info(r, &info);
        from_cp += info.from_checkpoint;
        /* from a checkpoint a seek applies less than one interval of rows
         * (the interval grows with the size of the state) */
        CHECK(o, !info.from_checkpoint || info.rows_applied <= MAX(INDEX_MIN_ROWS, 4096),
              "%s: a seek from a checkpoint applied %" PRId64 " rows", rel, info.rows_applied);
    }
    replay_seek_info(r, &info);
    CHECK(o, lr.rows <= 2 * INDEX_MIN_ROWS || (info.checkpoints > 0 && from_cp > 0),
          "%s: %" PRId64 " rows but %" PRId64 " checkpoints and %" PRId64 " seeks from one", rel, lr.rows,
          info.checkpoints, from_cp);
    g_string_printf(o->msg, "%s: %u comparison points over %" PRId64 " rows, %" PRId64 " from checkpoints", rel,
                    lr.points->len, lr.rows, from_cp);

out:
    g_clear_error(&err);
    replay_close(r);
    lr_clear(&lr);
    g_free(indexed);
    g_free(db);
    g_free(scenario);
    g_free(file);
}

static void
test_differential(gconstpointer data)
{
    const char *rel = data;
    char *dir = tmpdir_new();
    Outcome o = run_isolated(differential, rel, dir);

    report(&o);
    test_rm_rf(dir);
    g_free(dir);
}

/* ---- the row-hook audit --------------------------------------------------------------------- */

static GPtrArray *g_scenarios;      /* paths relative to g_root */

static gint
cmp_count_desc(gconstpointer a, gconstpointer b, gpointer counts)
{
    int x = GPOINTER_TO_INT(g_hash_table_lookup(counts, *(char *const *)a));
    int y = GPOINTER_TO_INT(g_hash_table_lookup(counts, *(char *const *)b));

    return x != y ? (x < y ? 1 : -1) : strcmp(*(char *const *)a, *(char *const *)b);
}

/* One scenario with the row hook audited; the counts go back as the
 * outcome's message: "rows diff\nKIND count\n...". */
static void
audit_one(const char *run, const char *dir, Outcome *o)
{
    guint which;
    char *rel = split_run(run, &which);
    char *scenario = g_build_filename(g_root, rel, NULL);
    char *db = g_build_filename(dir, "t.db", NULL);
    char *skip = NULL;
    LiveRun lr;

    if (live_run(scenario, which, db, true, &lr, &skip)) {
        GHashTableIter it;
        gpointer k, v;

        g_string_printf(o->msg, "%" PRId64 " %" PRId64 "\n", lr.audit_rows, lr.audit_diff);
        g_hash_table_iter_init(&it, lr.audit_kinds);
        while (g_hash_table_iter_next(&it, &k, &v))
            g_string_append_printf(o->msg, "%s %d\n", (char *)k, GPOINTER_TO_INT(v));
    } else {
        o->kind = OUT_SKIP;
    }
    g_free(skip);
    lr_clear(&lr);
    g_free(db);
    g_free(scenario);
    g_free(rel);
}

static void
test_row_hook_timing(void)
{
    const char *env = g_getenv("APCSIM_REPLAY_HOOK_AUDIT");
    GHashTable *kinds;
    GPtrArray *names;
    int64_t rows = 0, diff = 0;

    if (!env || strcmp(env, "1") != 0 || !g_scenarios) {
        g_test_skip("set APCSIM_REPLAY_HOOK_AUDIT=1 to measure how often the state seen from m->row_hook "
                    "differs from all rows up to seq");
        return;
    }
    kinds = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; i < g_scenarios->len; i++) {
        char *dir = tmpdir_new();
        Outcome o = run_isolated(audit_one, g_scenarios->pdata[i], dir);

        if (o.kind == OUT_PASS) {
            char **lines = g_strsplit(o.msg->str, "\n", -1);

            for (char **l = lines; *l && **l; l++) {
                char *sp = strrchr(*l, ' ');

                if (!sp)
                    continue;
                if (l == lines) {
                    rows += g_ascii_strtoll(*l, NULL, 10);
                    diff += g_ascii_strtoll(sp + 1, NULL, 10);
                    continue;
                }
                *sp = '\0';
                g_hash_table_replace(kinds, g_strdup(*l),
                                     GINT_TO_POINTER(GPOINTER_TO_INT(g_hash_table_lookup(kinds, *l)) +
                                                     (int)g_ascii_strtoll(sp + 1, NULL, 10)));
            }
            g_strfreev(lines);
        }
        g_string_free(o.msg, TRUE);
        test_rm_rf(dir);
        g_free(dir);
    }
    g_test_message("row hook: %" PRId64 " of %" PRId64 " rows see a live state other than all rows up to seq",
                   diff, rows);
    names = g_ptr_array_new();
    {
        GHashTableIter it;
        gpointer k;

        g_hash_table_iter_init(&it, kinds);
        while (g_hash_table_iter_next(&it, &k, NULL))
            g_ptr_array_add(names, k);
    }
    g_ptr_array_sort_with_data(names, cmp_count_desc, kinds);
    for (guint i = 0; i < names->len; i++)
        g_test_message("  after a %-16s row: %d", (char *)names->pdata[i],
                       GPOINTER_TO_INT(g_hash_table_lookup(kinds, names->pdata[i])));
    g_ptr_array_free(names, TRUE);
    g_hash_table_destroy(kinds);
}

/* ---- the checkpointer on its own ------------------------------------------------------------- */

static void
test_checkpointer(void)
{
    sqlite3 *db = NULL;
    ReplayCheckpointer *cp = replay_checkpointer_new(100);
    ReplayState *straight = replay_state_new();
    GPtrArray *texts = g_ptr_array_new_with_free_func(g_free);
    int64_t seq = 0;
    sqlite3_stmt *q = NULL;
    int64_t n = 0, prev = 0;

    g_assert_cmpint(sqlite3_open(":memory:", &db), ==, SQLITE_OK);
    g_assert_cmpint(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), ==, SQLITE_OK);

    KTRACE_RECORD rows[] = {
        { .kind = TR_RUN_BEGIN, .cpu = -1, .thread = -1, .obj = -1, .a = 2, .b = 1, .c = 15625000, .d = 6,
          .text = "nt52" },
        { .kind = TR_PROCESS_CREATE, .cpu = -1, .thread = -1, .obj = 1 },
        { .kind = TR_THREAD_CREATE, .cpu = -1, .thread = 2, .obj = 2, .a = 1, .b = 0, .c = 1, .d = 1, .e = 0 },
        { .kind = TR_THREAD_STATE, .cpu = 0, .thread = 2, .obj = -1, .a = Initialized, .b = Running },
        { .kind = TR_THREAD_CREATE, .cpu = -1, .thread = 3, .obj = 3, .a = 1, .b = 8, .c = 3, .d = 0, .e = -1 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        seq++;
        g_assert_cmpint(replay_checkpoint_rows(cp, db, seq, &rows[i]), ==, SQLITE_OK);
        replay_state_apply(straight, seq, &rows[i]);
    }
    /* 1000 rows that change something: KernelApcDisable down and up */
    for (int i = 0; i < 1000; i++) {
        KTRACE_RECORD f = { .t = i * 100, .kind = TR_FIELD, .cpu = -1, .thread = 3, .obj = -1,
                            .a = FLD_KERNEL_APC_DISABLE, .b = -(i % 7), .c = -((i + 1) % 7) };

        if (i % 7 == 6)
            f.c = 0;
        seq++;
        g_assert_cmpint(replay_checkpoint_rows(cp, db, seq, &f), ==, SQLITE_OK);
        replay_state_apply(straight, seq, &f);

        GString *s = g_string_new(NULL);

        ke_snapshot_format(replay_state_snapshot(straight), NULL, NULL, s);
        while ((int64_t)texts->len < seq)
            g_ptr_array_add(texts, NULL);
        g_ptr_array_add(texts, g_string_free(s, FALSE));
    }
    g_assert_cmpint(replay_state_disagreements(straight), ==, 0);
    g_assert_cmpint(replay_checkpointer_count(cp), ==, 10);      /* rows 100, 200, ... 1000 */
    g_assert_cmpint(sqlite3_prepare_v2(db, "SELECT seq, format, state FROM replay_checkpoint ORDER BY seq", -1,
                                       &q, NULL), ==, SQLITE_OK);
    while (sqlite3_step(q) == SQLITE_ROW) {
        int64_t s = sqlite3_column_int64(q, 0);
        GError *err = NULL;
        ReplayState *st = replay_state_load(sqlite3_column_blob(q, 2), (gsize)sqlite3_column_bytes(q, 2), &err);
        GString *text = g_string_new(NULL);

        g_assert_no_error(err);
        g_assert_cmpint(sqlite3_column_int(q, 1), ==, REPLAY_CHECKPOINT_FORMAT);
        g_assert_cmpint(s - prev, >=, 100);
        g_assert_cmpint(replay_state_seq(st), ==, s);
        ke_snapshot_format(replay_state_snapshot(st), NULL, NULL, text);
        g_assert_cmpstr(text->str, ==, g_ptr_array_index(texts, s));
        /* a damaged checkpoint is refused, never half-loaded */
        g_assert_null(replay_state_load(sqlite3_column_blob(q, 2), (gsize)sqlite3_column_bytes(q, 2) - 1, &err));
        g_assert_error(err, TRACE_ERROR, TRACE_ERR_DAMAGED);
        g_clear_error(&err);
        g_string_free(text, TRUE);
        replay_state_free(st);
        prev = s;
        n++;
    }
    g_assert_cmpint(n, ==, 10);
    sqlite3_finalize(q);
    sqlite3_close(db);
    g_ptr_array_free(texts, TRUE);
    replay_state_free(straight);
    replay_checkpointer_free(cp);
}

/* ---- small pieces ------------------------------------------------------------------------------ */

static void
test_parse_time(void)
{
    static const struct { const char *s; bool ok; int64_t ns; } cases[] = {
        { "0", true, 0 }, { "1500", true, 1500 }, { "250ns", true, 250 }, { "500us", true, 500000 },
        { "1.5ms", true, 1500000 }, { "3ms", true, 3000000 }, { "2s", true, 2000000000 },
        { "0.0000005s", true, 500 }, { "", false, 0 }, { "ms", false, 0 }, { "-1ms", false, 0 },
        { "1 ms", false, 0 }, { "1min", false, 0 }, { " 1ms", false, 0 }, { "1e3us", true, 1000000 },
        { "nan", false, 0 }, { "1e300s", false, 0 }, { "500\xc2\xb5s", true, 500000 },
        { "0x10", false, 0 }, { "0x10us", false, 0 }, { "inf", false, 0 }, { "1e", false, 0 },
        { "2.5e-3s", true, 2500000 }, { ".5us", true, 500 },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        int64_t ns = -7;
        bool ok = trace_parse_time(cases[i].s, &ns);

        g_assert_true(ok == cases[i].ok);
        if (ok)
            g_assert_cmpint(ns, ==, cases[i].ns);
    }
}

static void
test_refuses_bad_files(void)
{
    char *dir = tmpdir_new();
    char *missing = g_build_filename(dir, "missing.db", NULL);
    char *empty = g_build_filename(dir, "empty.db", NULL);
    GError *err = NULL;
    int code = 0;

    g_assert_null(replay_open(missing, &code, &err));
    g_assert_cmpint(code, ==, TRACE_ERR_NOT_FOUND);
    g_assert_error(err, TRACE_ERROR, TRACE_ERR_NOT_FOUND);
    g_clear_error(&err);
    g_assert_true(g_file_set_contents(empty, "", 0, NULL));
    g_assert_null(replay_open(empty, &code, &err));
    g_assert_cmpint(code, ==, TRACE_ERR_NOT_SQLITE);
    g_clear_error(&err);
    g_assert_cmpint(replay_index(empty, 0, NULL, &err), ==, TRACE_ERR_NOT_SQLITE);
    g_clear_error(&err);
    test_rm_rf(dir);
    g_free(missing);
    g_free(empty);
    g_free(dir);
}

/* ---- scenario discovery -------------------------------------------------------------------------- */

static gint
cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .lua files in rel (and its subdirectories if recursive) into out,
 * as paths relative to the root. */
static void
find_scenarios(const char *rel, bool recursive, GPtrArray *out)
{
    char *dir = g_build_filename(g_root, rel, NULL);
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *n;

    while (d && (n = g_dir_read_name(d))) {
        char *sub = g_build_filename(rel, n, NULL);
        char *abs = g_build_filename(g_root, sub, NULL);

        if (recursive && g_file_test(abs, G_FILE_TEST_IS_DIR))
            find_scenarios(sub, true, out);
        else if (g_str_has_suffix(n, ".lua") && g_file_test(abs, G_FILE_TEST_IS_REGULAR))
            g_ptr_array_add(out, g_strdup(sub));
        g_free(abs);
        g_free(sub);
    }
    if (d)
        g_dir_close(d);
    g_free(dir);
}

int
main(int argc, char **argv)
{
    GPtrArray *scenarios = g_ptr_array_new_with_free_func(g_free);
    int rc;

    g_scenarios = scenarios;
    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();
    g_root = test_find_source_root();
    g_test_add_func("/replay/parse-time", test_parse_time);
    g_test_add_func("/replay/refuses-bad-files", test_refuses_bad_files);
    g_test_add_func("/replay/checkpointer", test_checkpointer);
    g_test_add_func("/replay/row-hook-timing", test_row_hook_timing);
    if (g_root) {
        find_scenarios("scenarios", false, scenarios);
        find_scenarios("tests/scenarios", true, scenarios);
        g_ptr_array_sort(scenarios, cmp_str);
        /* a scenario with several "-- args:" lines is run once per line */
        for (guint i = 0, n = scenarios->len; i < n; i++) {
            char *abs = g_build_filename(g_root, scenarios->pdata[i], NULL);
            GPtrArray *lines = scenario_args_lines(abs);

            for (guint k = 1; k < lines->len; k++)
                g_ptr_array_add(scenarios, g_strdup_printf("%s@%u", (char *)scenarios->pdata[i], k + 1));
            g_ptr_array_free(lines, TRUE);
            g_free(abs);
        }
        g_ptr_array_sort(scenarios, cmp_str);
        for (size_t i = 0; i < G_N_ELEMENTS(inline_scenarios); i++)
            g_ptr_array_add(scenarios, g_strdup_printf("inline/%s", inline_scenarios[i].name));
        for (guint i = 0; i < scenarios->len; i++) {
            char *name = g_strdup_printf("/replay/differential/%s", (char *)scenarios->pdata[i]);

            g_test_add_data_func(name, scenarios->pdata[i], test_differential);
            g_free(name);
        }
    } else {
        g_printerr("test_replay: cannot find the source tree (set APCSIM_ROOT); no scenario is run\n");
    }
    rc = g_test_run();
    g_ptr_array_free(scenarios, TRUE);
    g_free(g_root);
    return rc;
}
