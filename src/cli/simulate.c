/*
 * simulate.c - one run of one scenario: the trace store, the Lua runtime,
 * the run, the outcome (exit status, messages, bugcheck analysis), the meta
 * rows and the one-screen summary. Used by `run` and `regress`.
 */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "ke/ke.h"
#include "lua/runtime.h"
#include <sqlite3.h>

#include "trace/plot.h"
#include "trace/store.h"

static LuaRuntime *volatile g_rt;

/* Progress on long runs: one status line on a terminal, at most twice a second. */
static gint64 g_progress_last;
static bool g_progress_shown;
static void on_progress(void *ctx, const KMACHINE *m)
{
    (void)ctx;
    gint64 now = g_get_monotonic_time();
    if (now - g_progress_last < 500000)
        return;
    g_progress_last = now;
    g_progress_shown = true;
    fprintf(stderr, "\r  simulated %.3f ms, %" PRId64 " events ...   ", m->now / 1e6, m->events);
    fflush(stderr);
}

static void on_signal(int sig)
{
    (void)sig;
    lua_runtime_interrupted = 1;        /* scenario code stops at its next instruction */
    if (g_rt)
        lua_runtime_interrupt(g_rt);    /* the event loop stops at its next event */
}

/* "1.234 ms" style, for people. */
char *cli_fmt_time(int64_t ns)
{
    if (ns < 0)
        return g_strdup("inf");
    if (ns < 1000)
        return g_strdup_printf("%" PRId64 " ns", ns);
    if (ns < 1000000)
        return g_strdup_printf("%.3f us", ns / 1e3);
    if (ns < 1000000000)
        return g_strdup_printf("%.3f ms", ns / 1e6);
    return g_strdup_printf("%.3f s", ns / 1e9);
}

static char *sha256_file(const char *path)
{
    gchar *data;
    gsize len;
    if (!g_file_get_contents(path, &data, &len, NULL))
        return g_strdup("");
    char *sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)data, len);
    g_free(data);
    return sum;
}

/* The thread table shows this many threads; the rest are counted by state. */
#define SUMMARY_THREADS 40

/* APCs by kind: insertions, and how each left its queue (KSTATS); the
 * last column is counted from the KAPCs themselves, so that the line adds
 * up only if no way out of a queue went uncounted. */
static void print_apc_summary(KMACHINE *m, FILE *out)
{
    int64_t queued[KSTAT_KINDS] = { 0 }, any = 0;
    for (guint i = 0; i < m->apcs->len; i++) {
        const KAPC *a = m->apcs->pdata[i];
        if (a->inserted)
            queued[ke_apc_stat_kind(a)]++;
    }
    for (int k = 0; k < KSTAT_KINDS; k++)
        any += m->stats.apc[k][KSTAT_INSERTED] + queued[k];
    if (!any)
        return;
    fprintf(out, "\n%-15s %9s %10s %8s %9s %8s\n", "apcs", "inserted", "delivered", "removed", "run down",
            "queued");
    for (int k = 0; k < KSTAT_KINDS; k++) {
        const int64_t *n = m->stats.apc[k];
        if (n[KSTAT_INSERTED] || queued[k])
            fprintf(out, "%-15s %9" PRId64 " %10" PRId64 " %8" PRId64 " %9" PRId64 " %8" PRId64 "\n", ke_apc_stat_kind_name(k),
                    n[KSTAT_INSERTED], n[KSTAT_DELIVERED], n[KSTAT_REMOVED], n[KSTAT_RUNDOWN], queued[k]);
    }
}

/* A label as the terminal may show it: control characters and bytes that
 * are not UTF-8 as \xNN (a label is whatever the scenario gave mark()). */
static char *printable(const char *s)
{
    GString *out = g_string_new(NULL);
    for (const char *p = s; *p;) {
        gunichar c = g_utf8_get_char_validated(p, -1);
        if (c == (gunichar)-1 || c == (gunichar)-2 || c < 0x20 || c == 0x7f) {
            g_string_append_printf(out, "\\x%02x", (unsigned char)*p);
            p++;
        } else {
            const char *next = g_utf8_next_char(p);
            g_string_append_len(out, p, next - p);
            p = next;
        }
    }
    return g_string_free(out, FALSE);
}

static void print_mark(KMACHINE *m, const KMARK_NOTE *n, FILE *out)
{
    char *t = cli_fmt_time(n->t);
    DISPATCHER_HEADER *h = ke_object_by_id(m, n->thread);
    g_autofree char *label = printable(n->label);
    g_autofree char *name = printable(h ? h->name : "?");
    fprintf(out, "%12s  cpu %-2d %-16s %s\n", t, n->cpu, name, label);
    g_free(t);
}

/* The scenario's mark() labels: all of them, or the first and last few. */
static void print_marks(KMACHINE *m, FILE *out)
{
    const KSTATS *s = &m->stats;
    if (!s->marks)
        return;
    fprintf(out, "\nmarks (%" PRId64 ")\n", s->marks);
    for (int64_t i = 0; i < s->marks && i < KE_MARKS_KEPT; i++)
        print_mark(m, &s->first[i], out);
    if (s->marks <= KE_MARKS_KEPT)
        return;
    int64_t from = s->marks - KE_MARKS_KEPT > KE_MARKS_KEPT ? s->marks - KE_MARKS_KEPT : KE_MARKS_KEPT;
    if (from > KE_MARKS_KEPT)
        fprintf(out, "%12s  ... %" PRId64 " more (apcsim dump shows every MARK row)\n", "", from - KE_MARKS_KEPT);
    for (int64_t i = from; i < s->marks; i++)
        print_mark(m, &s->last[i % KE_MARKS_KEPT], out);
}

/* One row of the summary's thread table. */
static void print_thread_row(const KTHREAD *t, FILE *out)
{
    char *cpu = cli_fmt_time(t->cpu_time);
    char detail[160] = "";
    if (t->state == Terminated) {
        const char *sn = nt_status_name(t->exit_status);
        if (sn && (uint32_t)t->exit_status >= 0x40000000u)
            snprintf(detail, sizeof detail, "exit %s", sn);
        else
            snprintf(detail, sizeof detail, "exit %d", (int)t->exit_status);
    } else if (t->state == Waiting && t->wait) {
        int n = snprintf(detail, sizeof detail, "%s", nt_wait_reason_name(t->wait_reason));
        for (int k = 0; k < t->wait->count && n < (int)sizeof detail - 40; k++)
            n += snprintf(detail + n, sizeof detail - n, "%s%s", k ? ", " : ": ", t->wait->objects[k]->name);
        if (t->wait->wait_type == WaitAll)
            snprintf(detail + n, sizeof detail - n, " (WaitAll)");
    } else if (t->state == Initialized) {
        snprintf(detail, sizeof detail, "never started");
    }
    g_autofree char *name = printable(t->header.name), *process = printable(t->process->name);
    g_autofree char *shown = printable(detail);
    fprintf(out, "%-16s %-12s %-11s %4d %12s %6" PRId64 " %8" PRId64 "  %s\n", name, process,
            nt_state_name(t->state), t->priority, cpu, t->waits, t->switches, shown);
    g_free(cpu);
}

static void print_summary(KMACHINE *m, const char *scenario, const char *trace_path, FILE *out)
{
    char *end = cli_fmt_time(m->now);
    fprintf(out, "apcsim %s: %s  (profile %s, seed %" PRIu64 ", %d CPU%s)\n", APCSIM_VERSION, scenario,
            ke_profile_name(m->cfg.profile), m->cfg.seed, m->ncpus, m->ncpus > 1 ? "s" : "");
    fprintf(out, "run ended at %s: %s (%" PRId64 " events)\n\n", end, ke_stop_reason_name(m->stop), m->events);
    g_free(end);
    fprintf(out, "%-16s %-12s %-11s %4s %12s %6s %8s  %s\n", "thread", "process", "state", "prio", "cpu time",
            "waits", "switches", "exit / waiting on");
    /* Up to SUMMARY_THREADS threads, all in creation order. Over it, the
     * live ones (waiting, ready, ...) come first, in creation order, then
     * the terminated ones in the rows that are left; the rest are counted
     * by state. */
    int total = 0, live = 0, hidden = 0;
    int64_t hidden_by_state[8] = { 0 };
    for (guint i = 0; i < m->threads->len; i++) {
        const KTHREAD *t = m->threads->pdata[i];
        total += !t->idle;
        live += !t->idle && t->state != Terminated;
    }
    bool split = total > SUMMARY_THREADS;
    int ended_rows = live < SUMMARY_THREADS ? SUMMARY_THREADS - live : 0;
    for (int pass = 0; pass < (split ? 2 : 1); pass++) {
        int shown = 0;
        for (guint i = 0; i < m->threads->len; i++) {
            const KTHREAD *t = m->threads->pdata[i];
            if (t->idle || (split && (t->state == Terminated) != (pass == 1)))
                continue;
            if (split && shown == (pass == 1 ? ended_rows : SUMMARY_THREADS)) {
                hidden++;
                if ((unsigned)t->state < G_N_ELEMENTS(hidden_by_state))
                    hidden_by_state[t->state]++;
                continue;
            }
            shown++;
            print_thread_row(t, out);
        }
    }
    if (hidden) {
        fprintf(out, "... and %d more thread%s (", hidden, hidden > 1 ? "s" : "");
        const char *sep = "";
        for (int st = 0; st < (int)G_N_ELEMENTS(hidden_by_state); st++)
            if (hidden_by_state[st]) {
                fprintf(out, "%s%s %" PRId64, sep, nt_state_name((KTHREAD_STATE)st), hidden_by_state[st]);
                sep = ", ";
            }
        fprintf(out, "); apcsim replay shows any of them\n");
    }
    print_apc_summary(m, out);
    fprintf(out, "\n%-4s %12s %7s %8s\n", "cpu", "busy", "busy%", "dpcs");
    for (int i = 0; i < m->ncpus; i++) {
        char *busy = cli_fmt_time(m->cpu[i].busy_time);
        double pct = m->now > 0 ? 100.0 * (double)m->cpu[i].busy_time / (double)m->now : 0.0;
        fprintf(out, "%-4d %12s %6.1f%% %8" PRId64 "\n", i, busy, pct, m->cpu[i].dpcs);
        g_free(busy);
    }
    print_marks(m, out);
    if (trace_path)
        fprintf(out, "\ntrace: %s\n", trace_path);
}


/* regress: which scenario line emitted each row (the runtime's innermost
 * scenario frame at that moment). */
static GPtrArray *g_rt_lines;
static void row_line_hook(void *ctx, KMACHINE *m, int64_t seq)
{
    (void)m;
    const char *where = lua_runtime_where(ctx);
    while ((int64_t)g_rt_lines->len <= seq)
        g_ptr_array_add(g_rt_lines, NULL);
    g_rt_lines->pdata[seq] = where ? g_strdup(where) : NULL;
}

/* Drop a trace that has nothing worth keeping (the run never started). */
static void discard_trace(TraceStore *ts)
{
    if (!ts)
        return;
    char *partial = NULL;
    trace_store_abandon(ts, &partial, NULL);
    if (partial)
        g_unlink(partial);
    g_free(partial);
}

int cli_simulate(const RunRequest *rq, char **trace_path)
{
    LuaRuntimeOptions opt = { .scenario = rq->scenario, .lua_dir = rq->lua_dir, .seed = rq->seed,
                              .profile = rq->profile, .max_events = rq->max_events,
                              .instruction_budget = rq->instruction_budget,
                              .memory_limit = (size_t)rq->memory_limit_mib * 1024 * 1024,
                              .params = rq->params };
    if (trace_path)
        *trace_path = NULL;
    /* The trace. */
    char *db_path = NULL;
    TraceStore *ts = NULL;
    GError *err = NULL;
    const char *scenario = rq->scenario;
    bool quiet = rq->quiet;
    FILE *out_err = rq->messages ? rq->messages : stderr;
    if (!rq->no_trace) {
        if (rq->db) {
            db_path = g_strdup(rq->db);
        } else {
            char *base = g_path_get_basename(scenario);
            char *dot = strrchr(base, '.');
            if (dot)
                *dot = 0;
            g_mkdir_with_parents("results", 0755);
            db_path = g_strdup_printf("results/%s.db", base);
            g_free(base);
        }
        if (g_file_test(db_path, G_FILE_TEST_EXISTS)) {
            int code = 0;
            GError *e2 = NULL;
            struct sqlite3 *old = trace_open_readonly(db_path, false, &code, &e2);
            if (old) {
                sqlite3_close(old);
            } else if (code != TRACE_ERR_NOT_FOUND) {
                fprintf(out_err, "apcsim run: refusing to replace %s: it is not an apcsim trace (%s)\n", db_path,
                        e2 ? e2->message : "unreadable");
                g_clear_error(&e2);
                g_free(db_path);
                return EXIT_USAGE;
            }
            g_clear_error(&e2);
        }
        ts = trace_store_open(db_path, &err);
        if (!ts) {
            fprintf(out_err, "apcsim run: cannot write the trace: %s\n", err->message);
            g_error_free(err);
            g_free(db_path);
            return TRACE_ERR_WRITE;
        }
        opt.sink = trace_store_sink(ts);
    }

    signal(SIGXFSZ, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    char *setup_err = NULL;
    bool expect_failed = false;
    opt.setup_expect_failed = &expect_failed;
    LuaRuntime *rt = lua_runtime_new(&opt, &setup_err);
    if (!rt) {
        bool interrupted = lua_runtime_interrupted;
        if (interrupted)
            fprintf(out_err, "apcsim: interrupted while the scenario was being set up; no trace written\n");
        else if (expect_failed)     /* expect() at the top level: exit 1, as anywhere else */
            fprintf(out_err, "apcsim: expectation failed: %s\n", setup_err);
        else
            fprintf(out_err, "apcsim: scenario error: %s\n", setup_err);
        g_free(setup_err);
        discard_trace(ts);          /* nothing ran: leave no file behind */
        g_free(db_path);
        return interrupted ? EXIT_INTERRUPTED : expect_failed ? EXIT_EXPECT : EXIT_SCENARIO;
    }
    g_rt = rt;
    KMACHINE *m = lua_runtime_machine(rt);
    if (rq->check_invariants || (g_getenv("APCSIM_CHECK_INVARIANTS") && *g_getenv("APCSIM_CHECK_INVARIANTS") == '1'))
        m->check_invariants = true;
    if (rq->row_lines) {
        g_rt_lines = rq->row_lines;
        m->row_hook = row_line_hook;
        m->row_hook_ctx = rt;
    }
    if (rq->progress && isatty(STDERR_FILENO) && !quiet) {
        m->progress = on_progress;
        g_progress_last = g_get_monotonic_time();
    }
    KSTOP_REASON why = lua_runtime_run(rt);
    if (rq->hit_event_cap)
        *rq->hit_event_cap = why == StopMaxEvents;
    g_rt = NULL;
    if (g_progress_shown)
        fprintf(stderr, "\r%60s\r", "");

    int code = EXIT_OK;
    const char *expected = lua_runtime_expected_bugcheck(rt);
    /* Messages go to stderr after the summary, so they are the last thing read. */
    char *msgbuf = NULL;
    size_t msglen = 0;
    FILE *msg = open_memstream(&msgbuf, &msglen);
    switch (why) {
    case StopExpectFailed:
        fprintf(msg, "apcsim: expectation failed: %s\n", m->stop_message);
        code = EXIT_EXPECT;
        break;
    case StopScenarioError:
        fprintf(msg, "apcsim: scenario error: %s\n", m->stop_message);
        code = EXIT_SCENARIO;
        break;
    case StopBugcheck:
        if (expected && strcmp(expected, m->bugcheck.name) == 0) {
            if (!quiet)
                printf("expected bugcheck %s (0x%X) occurred\n", m->bugcheck.name, m->bugcheck.code);
        } else {
            ke_bugcheck_print(m, msg);
            if (expected)
                fprintf(msg, "\napcsim: expected bugcheck %s, got %s\n", expected, m->bugcheck.name);
            code = EXIT_BUGCHECK;
        }
        break;
    case StopInterrupted:
        code = EXIT_INTERRUPTED;
        break;
    case StopInvariant:
        fprintf(msg, "apcsim: internal invariant violated - a bug in apcsim, please report it with the "
                     "scenario: %s\n", m->stop_message);
        code = EXIT_INVARIANT;
        break;
    default:
        if (expected) {
            fprintf(msg, "apcsim: expectation failed: expected bugcheck %s, but the run ended normally (%s)\n",
                    expected, ke_stop_reason_name(why));
            code = EXIT_EXPECT;
        }
        if (why == StopMaxEvents)
            fprintf(msg, "apcsim: warning: stopped after %" PRId64 " events (--max-events); the run may be "
                            "incomplete\n", m->cfg.max_events);
        break;
    }
    {
        /* after the reason the run ended: a --param nobody read is most likely a misspelt one */
        g_auto(GStrv) unread = lua_runtime_unread_params(rt);
        for (char **p = unread; *p; p++)
            fprintf(msg, "apcsim: warning: --param %s: the scenario never read it with param() (misspelt?)\n", *p);
    }

    char *final_path = NULL;
    if (ts) {
        char buf[64];
        char *sum = sha256_file(scenario);
        trace_store_meta(ts, "scenario", scenario);
        trace_store_meta(ts, "scenario_sha256", sum);
        g_free(sum);
        snprintf(buf, sizeof buf, "%" PRIu64, m->cfg.seed);
        trace_store_meta(ts, "seed", buf);
        trace_store_meta(ts, "profile", ke_profile_name(m->cfg.profile));
        trace_store_meta(ts, "apcsim_version", APCSIM_VERSION);
        snprintf(buf, sizeof buf, "%d", m->ncpus);
        trace_store_meta(ts, "cpus", buf);
        snprintf(buf, sizeof buf, "%" PRId64, m->now);
        trace_store_meta(ts, "end_time_ns", buf);
        trace_store_meta(ts, "outcome", ke_stop_reason_name(why));
        if (m->bugchecked)
            trace_store_meta(ts, "bugcheck", m->bugcheck.name);
        bool write_failed = trace_store_error(ts) != NULL;     /* ts is freed by the abandon below */
        if (why == StopInterrupted || write_failed) {
            if (write_failed)
                fprintf(out_err, "apcsim: trace write failed: %s\n", trace_store_error(ts)->message);
            char *partial = NULL;
            trace_store_abandon(ts, &partial, NULL);
            fprintf(out_err, "apcsim: %s; partial trace kept as %s (meta.complete = 0)\n",
                    why == StopInterrupted ? "interrupted" : "trace incomplete", partial ? partial : "?");
            g_free(partial);
            if (write_failed && (code == EXIT_OK || code == EXIT_SCENARIO))
                code = TRACE_ERR_WRITE;     /* the run may be fine; its trace is not */
            else if (code == EXIT_OK)
                code = EXIT_SCENARIO;
        } else if (!trace_store_finish(ts, &err)) {
            fprintf(out_err, "apcsim: %s\n", err->message);
            g_clear_error(&err);
            if (code == EXIT_OK || code == EXIT_SCENARIO)
                code = TRACE_ERR_WRITE;
        } else {
            final_path = g_strdup(db_path);
        }
    }
    if (!quiet && why != StopInterrupted)
        print_summary(m, scenario, final_path, stdout);
    if (rq->chart && final_path) {
        int prc = plot_trace(final_path, rq->chart, NULL, &err);
        if (prc) {
            fprintf(msg, "apcsim: chart not drawn: %s\n", err ? err->message : "plot failed");
            g_clear_error(&err);
            if (code == EXIT_OK)
                code = prc;
        } else if (!quiet) {
            printf("chart: %s\n", rq->chart);
        }
    }
    fflush(stdout);
    fclose(msg);
    if (msglen)
        fputs(msgbuf, out_err);
    free(msgbuf);
#ifndef APCSIM_SANITIZE
    if (!rq->exiting)
#endif
        lua_runtime_free(rt);
    g_free(db_path);
    if (trace_path)
        *trace_path = final_path;
    else
        g_free(final_path);
    return code;
}

