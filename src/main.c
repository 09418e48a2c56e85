/*
 * main.c - the apcsim command line: run, dump (and the commands still to
 * come), each with --help.
 *
 * Exit statuses of `run` (SCENARIO_API.md section 2): 0 ok, 1 expectation
 * failed, 2 usage, 3 scenario error, 4 unexpected bugcheck, 130 interrupted.
 * Trace-reading commands exit with the TRACE_ERR_* codes of store.h.
 */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ke/ke.h"
#include "lua/runtime.h"
#include "trace/store.h"

#define APCSIM_VERSION "0.1.0"

enum { EXIT_OK = 0, EXIT_EXPECT = 1, EXIT_USAGE = 2, EXIT_SCENARIO = 3, EXIT_BUGCHECK = 4, EXIT_INTERRUPTED = 130 };

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
    if (g_rt)
        lua_runtime_interrupt(g_rt);
}

/* "1.234 ms" style, for people. */
static char *fmt_time(int64_t ns)
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

static void print_summary(KMACHINE *m, const char *scenario, const char *trace_path, FILE *out)
{
    char *end = fmt_time(m->now);
    fprintf(out, "apcsim %s: %s  (profile %s, seed %" PRIu64 ", %d CPU%s)\n", APCSIM_VERSION, scenario,
            ke_profile_name(m->cfg.profile), m->cfg.seed, m->ncpus, m->ncpus > 1 ? "s" : "");
    fprintf(out, "run ended at %s: %s (%" PRId64 " events)\n\n", end, ke_stop_reason_name(m->stop), m->events);
    g_free(end);
    fprintf(out, "%-16s %-12s %-11s %4s %12s %6s %8s  %s\n", "thread", "process", "state", "prio", "cpu time",
            "waits", "switches", "exit / waiting on");
    for (guint i = 0; i < m->threads->len; i++) {
        KTHREAD *t = m->threads->pdata[i];
        if (t->idle)
            continue;
        char *cpu = fmt_time(t->cpu_time);
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
        fprintf(out, "%-16s %-12s %-11s %4d %12s %6" PRId64 " %8" PRId64 "  %s\n", t->header.name,
                t->process->name, nt_state_name(t->state), t->priority, cpu, t->waits, t->switches, detail);
        g_free(cpu);
    }
    fprintf(out, "\n%-4s %12s %7s %8s\n", "cpu", "busy", "busy%", "dpcs");
    for (int i = 0; i < m->ncpus; i++) {
        char *busy = fmt_time(m->cpu[i].busy_time);
        double pct = m->now > 0 ? 100.0 * (double)m->cpu[i].busy_time / (double)m->now : 0.0;
        fprintf(out, "%-4d %12s %6.1f%% %8" PRId64 "\n", i, busy, pct, m->cpu[i].dpcs);
        g_free(busy);
    }
    if (trace_path)
        fprintf(out, "\ntrace: %s\n", trace_path);
}

/* ---- run ---------------------------------------------------------------------- */

static int cmd_run(int argc, char **argv)
{
    g_autofree char *db = NULL, *seed_s = NULL, *profile_s = NULL, *chart = NULL;
    g_autofree char *max_events_s = NULL, *lua_dir = NULL;
    g_auto(GStrv) params = NULL;
    gint64 budget = 0, mem_mib = 0;
    gboolean no_trace = FALSE, quiet = FALSE;
    GOptionEntry entries[] = {
        { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, "Trace file (default results/<scenario>.db)", "FILE" },
        { "seed", 0, 0, G_OPTION_ARG_STRING, &seed_s, "Random seed (overrides machine{seed=})", "N" },
        { "profile", 0, 0, G_OPTION_ARG_STRING, &profile_s, "nt52 (default), reactos or win10", "P" },
        { "param", 0, 0, G_OPTION_ARG_STRING_ARRAY, &params, "Scenario parameter, read with param(NAME, default)",
          "NAME=VALUE" },
        { "no-trace", 0, 0, G_OPTION_ARG_NONE, &no_trace, "Simulate everything but write no trace", NULL },
        { "max-events", 0, 0, G_OPTION_ARG_STRING, &max_events_s, "Stop after N engine events (default 10000000)",
          "N" },
        { "instruction-budget", 0, 0, G_OPTION_ARG_INT64, &budget,
          "Lua instructions one resume of scenario code may run (default 200000000)", "N" },
        { "memory-limit", 0, 0, G_OPTION_ARG_INT64, &mem_mib, "Memory cap of the scenario's Lua state (default 512)",
          "MiB" },
        { "chart", 0, 0, G_OPTION_ARG_FILENAME, &chart, "Draw a timeline chart after the run (not available yet)",
          "FILE" },
        { "lua-dir", 0, 0, G_OPTION_ARG_FILENAME, &lua_dir, "Directory of apcsim's lua/ library", "DIR" },
        { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No summary", NULL },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    GOptionContext *ctx = g_option_context_new("SCENARIO.lua - simulate a scenario");
    g_option_context_set_summary(ctx,
        "Runs a Lua scenario on the simulated NT kernel and writes every state transition to a SQLite\n"
        "trace. Exit status: 0 ok, 1 expectation failed, 2 usage, 3 scenario error, 4 unexpected\n"
        "bugcheck, 130 interrupted (the partial trace is kept as FILE.partial).");
    g_option_context_add_main_entries(ctx, entries, NULL);
    GError *err = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        fprintf(stderr, "apcsim run: %s (see apcsim run --help)\n", err->message);
        return EXIT_USAGE;
    }
    g_option_context_free(ctx);
    if (argc != 2) {
        fprintf(stderr, "apcsim run: give exactly one scenario file (see apcsim run --help)\n");
        return EXIT_USAGE;
    }
    const char *scenario = argv[1];
    if (chart) {
        fprintf(stderr, "apcsim run: --chart is not available yet (timeline charts are still to come)\n");
        return EXIT_USAGE;
    }
    LuaRuntimeOptions opt = { .scenario = scenario, .lua_dir = lua_dir, .seed = -1, .profile = -1,
                              .max_events = -1, .instruction_budget = budget,
                              .memory_limit = (size_t)mem_mib * 1024 * 1024 };
    if (seed_s) {
        char *end;
        errno = 0;
        long long v = strtoll(seed_s, &end, 10);
        if (*end || errno || v < 0) {
            fprintf(stderr, "apcsim run: --seed takes a non-negative integer, got '%s'\n", seed_s);
            return EXIT_USAGE;
        }
        opt.seed = v;
    }
    if (profile_s) {
        opt.profile = ke_profile_from_name(profile_s);
        if (opt.profile < 0) {
            fprintf(stderr, "apcsim run: unknown profile '%s' (nt52, reactos, win10)\n", profile_s);
            return EXIT_USAGE;
        }
    }
    if (max_events_s) {
        char *end;
        long long v = strtoll(max_events_s, &end, 10);
        if (*end || v < 0) {
            fprintf(stderr, "apcsim run: --max-events takes a non-negative integer\n");
            return EXIT_USAGE;
        }
        opt.max_events = v;
    }
    GHashTable *ptab = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    for (char **p = params; p && *p; p++) {
        char *eq = strchr(*p, '=');
        if (!eq || eq == *p) {
            fprintf(stderr, "apcsim run: --param takes NAME=VALUE, got '%s'\n", *p);
            g_hash_table_unref(ptab);
            return EXIT_USAGE;
        }
        g_hash_table_replace(ptab, g_strndup(*p, eq - *p), g_strdup(eq + 1));
    }
    opt.params = ptab;

    /* The trace. */
    char *db_path = NULL;
    TraceStore *ts = NULL;
    if (!no_trace) {
        if (db) {
            db_path = g_strdup(db);
        } else {
            char *base = g_path_get_basename(scenario);
            char *dot = strrchr(base, '.');
            if (dot)
                *dot = 0;
            g_mkdir_with_parents("results", 0755);
            db_path = g_strdup_printf("results/%s.db", base);
            g_free(base);
        }
        ts = trace_store_open(db_path, &err);
        if (!ts) {
            fprintf(stderr, "apcsim run: %s\n", err->message);
            g_error_free(err);
            g_hash_table_unref(ptab);
            g_free(db_path);
            return EXIT_USAGE;
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
    LuaRuntime *rt = lua_runtime_new(&opt, &setup_err);
    if (!rt) {
        fprintf(stderr, "apcsim: scenario error: %s\n", setup_err);
        g_free(setup_err);
        if (ts) {
            /* nothing ran: leave no file behind */
            char *partial = NULL;
            trace_store_abandon(ts, &partial, NULL);
            if (partial)
                g_unlink(partial);
            g_free(partial);
        }
        g_hash_table_unref(ptab);
        g_free(db_path);
        return EXIT_SCENARIO;
    }
    g_rt = rt;
    KMACHINE *m = lua_runtime_machine(rt);
    if (isatty(STDERR_FILENO) && !quiet) {
        m->progress = on_progress;
        g_progress_last = g_get_monotonic_time();
    }
    KSTOP_REASON why = lua_runtime_run(rt);
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
        if (why == StopInterrupted || trace_store_error(ts)) {
            if (trace_store_error(ts))
                fprintf(stderr, "apcsim: trace write failed: %s\n", trace_store_error(ts)->message);
            char *partial = NULL;
            trace_store_abandon(ts, &partial, NULL);
            fprintf(stderr, "apcsim: %s; partial trace kept as %s (meta.complete = 0)\n",
                    why == StopInterrupted ? "interrupted" : "trace incomplete", partial ? partial : "?");
            g_free(partial);
            if (code == EXIT_OK)
                code = EXIT_SCENARIO;
        } else if (!trace_store_finish(ts, &err)) {
            fprintf(stderr, "apcsim: %s\n", err->message);
            g_clear_error(&err);
            if (code == EXIT_OK)
                code = EXIT_SCENARIO;
        } else {
            final_path = db_path;
        }
    }
    if (!quiet && why != StopInterrupted)
        print_summary(m, scenario, final_path, stdout);
    fflush(stdout);
    fclose(msg);
    if (msglen)
        fputs(msgbuf, stderr);
    free(msgbuf);
    lua_runtime_free(rt);
    g_hash_table_unref(ptab);
    g_free(db_path);
    return code;
}

/* ---- dump --------------------------------------------------------------------- */

static int cmd_dump(int argc, char **argv)
{
    GOptionEntry entries[] = { { NULL, 0, 0, 0, NULL, NULL, NULL } };
    GOptionContext *ctx = g_option_context_new("FILE.db - print the canonical text of a trace");
    g_option_context_set_summary(ctx,
        "Prints the trace's stable meta rows (# key = value) and then one line per transition:\n"
        "  seq t_ns cpu thread KIND detail\n"
        "The text is byte-identical for the same scenario, seed and profile on any machine.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    GError *err = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        fprintf(stderr, "apcsim dump: %s\n", err->message);
        return EXIT_USAGE;
    }
    g_option_context_free(ctx);
    if (argc != 2) {
        fprintf(stderr, "apcsim dump: give exactly one trace file (see apcsim dump --help)\n");
        return EXIT_USAGE;
    }
    int rc = trace_dump(argv[1], stdout, &err);
    if (rc) {
        fprintf(stderr, "apcsim dump: %s\n", err ? err->message : "failed");
        return rc;
    }
    return 0;
}

static int cmd_later(const char *name, int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("apcsim %s: not available in this version yet.\n", name);
            return 0;
        }
    fprintf(stderr, "apcsim %s: not available in this version yet\n", name);
    return EXIT_USAGE;
}

static void usage(FILE *out)
{
    fprintf(out,
            "apcsim %s - a deterministic simulator of the Windows NT APC machinery\n\n"
            "usage: apcsim COMMAND [OPTIONS] ...\n\n"
            "commands:\n"
            "  run SCENARIO.lua   simulate a scenario and write its trace (results/<scenario>.db)\n"
            "  dump FILE.db       print the canonical text of a trace, one transition a line\n"
            "  version            print the version\n"
            "still to come: replay, regress, plot, export\n\n"
            "apcsim COMMAND --help shows the options of a command.\n",
            APCSIM_VERSION);
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    const char *cmd = argv[1];
    char prog[64];
    snprintf(prog, sizeof prog, "apcsim %s", cmd);
    argv[1] = prog;
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "dump") == 0)
        return cmd_dump(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("apcsim %s\n", APCSIM_VERSION);
        return 0;
    }
    if (strcmp(cmd, "replay") == 0 || strcmp(cmd, "regress") == 0 || strcmp(cmd, "plot") == 0 ||
        strcmp(cmd, "export") == 0)
        return cmd_later(cmd, argc - 1, argv + 1);
    fprintf(stderr, "apcsim: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return EXIT_USAGE;
}
