/*
 * run.c - `apcsim run`: options, then one simulation (simulate.c); and the
 * small parsing helpers the commands share.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "ke/ke.h"

/* Every option of every command is declared G_OPTION_ARG_FILENAME(_ARRAY),
 * even names, times and titles: GLib passes those through as the bytes
 * given, where G_OPTION_ARG_STRING converts them from the locale's charset
 * and, under the C locale, refuses anything but ASCII ("wörker", "200µs").
 * Names in a trace are the bytes the scenario gave (UTF-8). */
bool cli_parse_options(GOptionContext *ctx, int *argc, char ***argv, const char *cmd)
{
    GError *err = NULL;
    bool ok = g_option_context_parse(ctx, argc, argv, &err);
    if (!ok) {
        fprintf(stderr, "apcsim %s: %s (see apcsim %s --help)\n", cmd, err->message, cmd);
        g_error_free(err);
    }
    g_option_context_free(ctx);
    return ok;
}

char **cli_split_list(char **values)
{
    if (!values || !values[0])
        return NULL;
    GPtrArray *out = g_ptr_array_new();
    for (char **v = values; *v; v++) {
        char **parts = g_strsplit(*v, ",", -1);
        for (char **p = parts; *p; p++)
            if (**p)
                g_ptr_array_add(out, g_strdup(*p));
        g_strfreev(parts);
    }
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}

bool cli_parse_params(char **params, GHashTable **out, const char *cmd)
{
    GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    for (char **p = params; p && *p; p++) {
        char *eq = strchr(*p, '=');
        if (!eq || eq == *p) {
            fprintf(stderr, "apcsim %s: --param takes NAME=VALUE, got '%s'\n", cmd, *p);
            g_hash_table_unref(t);
            return false;
        }
        g_hash_table_replace(t, g_strndup(*p, eq - *p), g_strdup(eq + 1));
    }
    *out = t;
    return true;
}

char **cli_scenario_args(const char *scenario)
{
    gchar *text = NULL;
    if (!g_file_get_contents(scenario, &text, NULL, NULL))
        return g_new0(char *, 1);
    char **lines = g_strsplit(text, "\n", -1);
    g_free(text);
    char **args = NULL;
    for (char **l = lines; *l; l++)
        if (g_str_has_prefix(*l, "-- args:")) {
            /* the first "-- args:" line is the scenario's main run */
            gint argc;
            GError *e = NULL;
            if (!g_shell_parse_argv(*l + 8, &argc, &args, &e)) {
                args = NULL;
                /* an empty line is no arguments; anything else that does not
                 * parse (unbalanced quotes) must not silently become none */
                if (!g_error_matches(e, G_SHELL_ERROR, G_SHELL_ERROR_EMPTY_STRING)) {
                    args = g_new0(char *, 3);
                    args[0] = g_strdup("--bad-args-line");
                    args[1] = g_strdup(e->message);
                }
                g_clear_error(&e);
            }
            break;
        }
    g_strfreev(lines);
    return args ? args : g_new0(char *, 1);
}

/* "1-100" or "100" (= 1-100): the seed range of --seeds. */
static bool parse_seed_range(const char *s, int64_t *lo, int64_t *hi)
{
    char *end;
    errno = 0;
    if (!g_ascii_isdigit(*s))
        return false;           /* strtoll would take " 2" and "+2" */
    long long a = strtoll(s, &end, 10), b = a;
    if (end == s || errno || a < 0)
        return false;
    if (*end == '-') {
        const char *p = end + 1;
        if (!g_ascii_isdigit(*p))
            return false;
        b = strtoll(p, &end, 10);
        if (end == p || errno || b < a)
            return false;
    } else {
        if (a < 1)
            return false;       /* "N" means 1-N */
        b = a;
        a = 1;
    }
    if (*end || b - a >= 1000000)
        return false;
    *lo = a;
    *hi = b;
    return true;
}

const char *cli_first_reason(char *buf, int code)
{
    for (char *line = buf; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        if (*line && *line != '*') {
            if (g_str_has_prefix(line, "apcsim: "))
                line += strlen("apcsim: ");
            return line;
        }
        line = nl ? nl + 1 : NULL;
    }
    return code == EXIT_INTERRUPTED ? "interrupted" : "";
}

/* The command that re-runs one seed of a sweep: the sweep's own arguments
 * (--param, --profile, --max-events ... all shape the run) with --seeds A-B
 * replaced by --seed N. Arguments are quoted for a POSIX shell where needed. */
static char *rerun_command(char **args, int64_t seed)
{
    GString *cmd = g_string_new("apcsim run");
    for (char **a = args; a && *a; a++) {
        if (!strcmp(*a, "--seeds")) {
            if (a[1])
                a++;
            continue;
        }
        if (g_str_has_prefix(*a, "--seeds="))
            continue;
        bool plain = **a != 0;
        for (const char *c = *a; *c; c++)
            if (!g_ascii_isalnum(*c) && !strchr("-_=./,:@%+", *c))
                plain = false;
        g_autofree char *q = plain ? g_strdup(*a) : g_shell_quote(*a);
        g_string_append_printf(cmd, " %s", q);
    }
    g_string_append_printf(cmd, " --seed %" PRId64, seed);
    return g_string_free(cmd, FALSE);
}

/* At most this many failing seeds are listed on the tally line. */
#define SWEEP_LIST_MAX 50

/* run --seeds: the scenario once per seed, untraced; one line per seed that
 * did not end with status 0, then the tally. Returns the status of the
 * first such seed, or 0; 130 when the sweep was interrupted (the seed that
 * was cut short is not an outcome and is not counted). args are the
 * command's arguments after "run", for the re-run hint. */
static int run_seed_sweep(RunRequest rq, int64_t lo, int64_t hi, char **args)
{
    int first_code = 0;
    int64_t failed = 0, first_seed = -1, n = hi - lo + 1, done = 0, capped = 0;
    bool interrupted = false, cap = false;
    GString *bad = g_string_new(NULL);
    bool tty = isatty(STDERR_FILENO);
    rq.no_trace = true;
    rq.quiet = true;
    rq.progress = false;
    rq.exiting = false;
    rq.hit_event_cap = &cap;
    /* counted by k, not by seed: hi may be INT64_MAX */
    for (int64_t k = 0; k < n; k++) {
        int64_t seed = lo + k;
        char *buf = NULL;
        size_t len = 0;
        FILE *msg = open_memstream(&buf, &len);
        rq.seed = seed;
        rq.messages = msg;
        int code = cli_simulate(&rq, NULL);
        fclose(msg);
        if (code == EXIT_INTERRUPTED) {
            free(buf);
            interrupted = true;
            break;
        }
        done++;
        if (code == 0 && cap) {
            /* cut short by --max-events: no verdict either way */
            printf("seed %" PRId64 ": stopped at --max-events %" PRId64 " (no verdict)\n", seed, rq.max_events);
            capped++;
        }
        if (code != 0) {
            printf("seed %" PRId64 ": exit %d  %s\n", seed, code, cli_first_reason(buf, code));
            if (failed < SWEEP_LIST_MAX)
                g_string_append_printf(bad, "%s%" PRId64, failed ? ", " : "", seed);
            if (!failed) {
                first_code = code;
                first_seed = seed;
            }
            failed++;
        }
        free(buf);
        if (tty && k % 16 == 15)
            fprintf(stderr, "\r  seed %" PRId64 " of %" PRId64 " ...   ", k + 1, n);
        if (code == EXIT_SCENARIO) {
            /* a mistake in the scenario, not an outcome of the seed: fix it first */
            printf("a scenario error stops the sweep at seed %" PRId64 "\n", seed);
            break;
        }
        if (code == EXIT_USAGE)
            break;
    }
    if (tty)
        fprintf(stderr, "\r%40s\r", "");
    if (failed > SWEEP_LIST_MAX)
        g_string_append_printf(bad, " and %" PRId64 " more", failed - SWEEP_LIST_MAX);
    if (interrupted)
        printf("interrupted after %" PRId64 " seed%s\n", done, done == 1 ? "" : "s");
    printf("seeds %" PRId64 "-%" PRId64 ": %" PRId64 " run, %" PRId64 " ended with status 0, %" PRId64 " did not%s%s\n",
           lo, hi, done, done - failed - capped, failed, failed ? ": " : "", bad->str);
    if (capped)
        printf("%" PRId64 " stopped at --max-events before the end: raise it to see how they end\n", capped);
    if (failed) {
        g_autofree char *cmd = rerun_command(args, first_seed);
        printf("the trace of the first: %s\n", cmd);
    }
    g_string_free(bad, TRUE);
    return interrupted ? EXIT_INTERRUPTED : first_code;
}

int cmd_run(int argc, char **argv)
{
    g_autofree char *db = NULL, *seed_s = NULL, *profile_s = NULL, *chart = NULL;
    g_autofree char *max_events_s = NULL, *lua_dir = NULL, *seeds_s = NULL;
    g_auto(GStrv) params = NULL;
    gint64 budget = G_MININT64, mem_mib = G_MININT64;      /* not given: the defaults */
    gboolean no_trace = FALSE, quiet = FALSE, check_inv = FALSE;
    GOptionEntry entries[] = {
        { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, "Trace file (default results/<scenario>.db)", "FILE" },
        { "seed", 0, 0, G_OPTION_ARG_FILENAME, &seed_s, "Random seed (overrides machine{seed=})", "N" },
        { "seeds", 0, 0, G_OPTION_ARG_FILENAME, &seeds_s,
          "Run once per seed of A-B (or 1-N), untraced, and list the seeds whose run did not end with "
          "status 0", "A-B" },
        { "profile", 0, 0, G_OPTION_ARG_FILENAME, &profile_s, "nt52 (default), reactos or win10", "P" },
        { "param", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &params, "Scenario parameter, read with param(NAME, default)",
          "NAME=VALUE" },
        { "no-trace", 0, 0, G_OPTION_ARG_NONE, &no_trace, "Simulate everything but write no trace", NULL },
        { "max-events", 0, 0, G_OPTION_ARG_FILENAME, &max_events_s,
          "Stop after N engine events (default 10000000; 0 = no limit)", "N" },
        { "instruction-budget", 0, 0, G_OPTION_ARG_INT64, &budget,
          "Lua instructions one resume of scenario code may run (default 200000000)", "N" },
        { "memory-limit", 0, 0, G_OPTION_ARG_INT64, &mem_mib, "Memory cap of the scenario's Lua state, 1..1048576 (default 512)",
          "MiB" },
        { "chart", 0, 0, G_OPTION_ARG_FILENAME, &chart, "Draw the timeline chart (.png or .svg) after the run",
          "FILE" },
        { "lua-dir", 0, 0, G_OPTION_ARG_FILENAME, &lua_dir, "Directory of apcsim's lua/ library", "DIR" },
        { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No summary", NULL },
        { "check-invariants", 0, 0, G_OPTION_ARG_NONE, &check_inv,
          "Check the kernel's invariants after every step (slow; exit 5 on a violation)", NULL },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    /* the arguments as given, for --seeds' re-run hint (parsing takes them apart) */
    g_auto(GStrv) given = g_strdupv(argv + 1);
    GOptionContext *ctx = g_option_context_new("SCENARIO.lua - simulate a scenario");
    g_option_context_set_summary(ctx,
        "Runs a Lua scenario on the simulated NT kernel and writes every state transition to a SQLite\n"
        "trace. Exit status: 0 ok, 1 expectation failed, 2 usage, 3 scenario error, 4 unexpected\n"
        "bugcheck, 5 internal invariant violated (an apcsim bug), 16 the trace could not be written\n"
        "(disk full, file size limit, no permission; what was written is kept as FILE.partial),\n"
        "130 interrupted (the partial trace is kept as FILE.partial).\n\n"
        "--seeds A-B runs the scenario once per seed, untraced (math.random draws from the seed), and\n"
        "lists the seeds whose run failed, with the first line of the reason; its exit status is the\n"
        "first failing seed's (130 if interrupted). A scenario error (exit 3) stops the sweep. The last\n"
        "line gives the command that re-runs the first failing seed with --seed N, for its trace.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!cli_parse_options(ctx, &argc, &argv, "run"))
        return EXIT_USAGE;
    if (argc != 2) {
        fprintf(stderr, "apcsim run: give exactly one scenario file (see apcsim run --help)\n");
        return EXIT_USAGE;
    }
    int64_t seed_lo = 0, seed_hi = -1;
    if (seeds_s && !parse_seed_range(seeds_s, &seed_lo, &seed_hi)) {
        fprintf(stderr, "apcsim run: --seeds takes A-B or N (= 1-N), non-negative, at most 1000000 seeds; "
                        "got '%s'\n", seeds_s);
        return EXIT_USAGE;
    }
    if (seeds_s && (seed_s || db || chart)) {
        fprintf(stderr, "apcsim run: --seeds runs untraced: it does not go with --seed, --db or --chart\n");
        return EXIT_USAGE;
    }
    if (budget == G_MININT64)
        budget = 0;
    else if (budget < 1) {
        fprintf(stderr, "apcsim run: --instruction-budget takes a positive number, got %" G_GINT64_FORMAT "\n", budget);
        return EXIT_USAGE;
    }
    if (mem_mib == G_MININT64)
        mem_mib = 0;
    else if (mem_mib < 1 || mem_mib > 1048576) {
        fprintf(stderr, "apcsim run: --memory-limit takes 1..1048576 MiB, got %" G_GINT64_FORMAT "\n", mem_mib);
        return EXIT_USAGE;
    }
    if (chart && !g_str_has_suffix(chart, ".png") && !g_str_has_suffix(chart, ".svg")) {
        /* checked before the run, not after it */
        fprintf(stderr, "apcsim run: --chart %s: the chart is a .png or .svg file\n", chart);
        return EXIT_USAGE;
    }
    if (chart) {
        g_autofree char *dir = g_path_get_dirname(chart);
        if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
            fprintf(stderr, "apcsim run: --chart %s: there is no directory %s\n", chart, dir);
            return EXIT_USAGE;
        }
    }
    if (db && no_trace)     /* a harness may add --db to every run: a warning, not an error */
        fprintf(stderr, "apcsim run: warning: --no-trace writes no trace: --db %s is ignored\n", db);
    if (chart && no_trace) {
        fprintf(stderr, "apcsim run: --chart needs a trace (drop --no-trace)\n");
        return EXIT_USAGE;
    }
    RunRequest rq = { .scenario = argv[1], .db = db, .no_trace = no_trace, .seed = -1, .profile = -1,
                      .max_events = -1, .instruction_budget = budget, .memory_limit_mib = mem_mib,
                      .lua_dir = lua_dir, .quiet = quiet, .progress = true, .check_invariants = check_inv,
                      .chart = chart };
    if (seed_s) {
        char *end;
        errno = 0;
        long long v = strtoll(seed_s, &end, 10);
        if (*end || errno || v < 0) {
            fprintf(stderr, "apcsim run: --seed takes a non-negative integer, got '%s'\n", seed_s);
            return EXIT_USAGE;
        }
        rq.seed = v;
    }
    if (profile_s) {
        rq.profile = ke_profile_from_name(profile_s);
        if (rq.profile < 0) {
            fprintf(stderr, "apcsim run: unknown profile '%s' (nt52, reactos, win10)\n", profile_s);
            return EXIT_USAGE;
        }
    }
    if (max_events_s) {
        char *end;
        errno = 0;
        long long v = strtoll(max_events_s, &end, 10);
        if (!g_ascii_isdigit(*max_events_s) || *end || errno || v < 0) {
            fprintf(stderr, "apcsim run: --max-events takes a non-negative integer\n");
            return EXIT_USAGE;
        }
        rq.max_events = v;
    }
    GHashTable *ptab;
    if (!cli_parse_params(params, &ptab, "run"))
        return EXIT_USAGE;
    rq.params = ptab;
    rq.exiting = true;
    int code = seeds_s ? run_seed_sweep(rq, seed_lo, seed_hi, given) : cli_simulate(&rq, NULL);
    g_hash_table_unref(ptab);
    return code;
}
