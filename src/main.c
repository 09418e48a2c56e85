/*
 * main.c - the apcsim command line: dispatches to the commands, each with
 * --help (run and regress in src/cli/, the trace readers in src/trace/).
 */
#include <signal.h>
#include <stdio.h>
#include <sqlite3.h>
#include <string.h>

#include "cli/cli.h"
#include "trace/export.h"
#include "trace/plot.h"
#include "trace/replay.h"
#include "trace/store.h"

static int cmd_dump(int argc, char **argv)
{
    char *from_s = NULL, *to_s = NULL, **threads = NULL, **kinds = NULL, **apcs = NULL;
    gboolean no_meta = FALSE;
    GOptionEntry entries[] = {
        { "from", 0, 0, G_OPTION_ARG_FILENAME, &from_s, "Only rows at or after time T (500us, 1.5ms; a bare number is ns)",
          "T" },
        { "to", 0, 0, G_OPTION_ARG_FILENAME, &to_s, "Only rows at or before time T", "T" },
        { "thread", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &threads,
          "Only rows of this thread (the name in the thread column; repeat or give A,B)", "NAME" },
        { "kind", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &kinds,
          "Only rows of this kind, or kinds matching a pattern (APC_INSERT, 'APC_*'; repeat or give A,B)", "KIND" },
        { "apc", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &apcs,
          "Only rows about this APC: its life from APC_INIT to its last ROUTINE_END (a name or pattern; "
          "repeat or give A,B)", "NAME" },
        { "no-meta", 0, 0, G_OPTION_ARG_NONE, &no_meta, "Leave out the # meta lines", NULL },
        { NULL, 0, 0, 0, NULL, NULL, NULL }
    };
    GOptionContext *ctx = g_option_context_new("FILE.db - print the canonical text of a trace");
    g_option_context_set_summary(ctx,
        "Prints the trace's stable meta rows (# key = value) and then one line per transition:\n"
        "  seq t_ns cpu thread KIND detail\n"
        "The text is byte-identical for the same scenario, seed and profile on any machine.\n"
        "A file that is not a complete apcsim trace is refused with a reason and exit status 10-15\n"
        "(--partial accepts the trace of an interrupted run, FILE.db.partial).\n"
        "The filters keep lines as they are (a filtered dump is a subset of the full one); a thread,\n"
        "kind or APC that names nothing in the trace is a usage error (exit 2):\n"
        "  apcsim dump results/quickstart.db --thread worker --kind 'APC_*' --from 400us --to 600us");
    g_option_context_add_main_entries(ctx, entries, NULL);
    GError *err = NULL;
    if (!cli_parse_options(ctx, &argc, &argv, "dump"))
        return EXIT_USAGE;
    TraceDumpFilter f = { .from = 0, .to = -1, .no_meta = no_meta };
    int rc = 0;
    if (argc != 2) {
        fprintf(stderr, "apcsim dump: give exactly one trace file (see apcsim dump --help)\n");
        rc = EXIT_USAGE;
    } else if ((from_s && !trace_parse_time(from_s, &f.from)) || (to_s && !trace_parse_time(to_s, &f.to))) {
        fprintf(stderr, "apcsim dump: '%s' is not a time (0 or more: 250ns, 500us, 3ms, 1.5s; a bare number is ns)\n",
                from_s && !trace_parse_time(from_s, &f.from) ? from_s : to_s);
        rc = EXIT_USAGE;
    } else if (from_s && to_s && f.to < f.from) {
        fprintf(stderr, "apcsim dump: --to %s is before --from %s\n", to_s, from_s);
        rc = EXIT_USAGE;
    }
    f.threads = cli_split_list(threads);
    f.kinds = cli_split_list(kinds);
    f.apcs = cli_split_list(apcs);
    const char *empty = f.threads && !f.threads[0] ? "--thread" : f.kinds && !f.kinds[0] ? "--kind"
                        : f.apcs && !f.apcs[0]     ? "--apc" : NULL;
    if (rc == 0 && empty) {
        fprintf(stderr, "apcsim dump: %s takes a name (it was given an empty one)\n", empty);
        rc = EXIT_USAGE;
    }
    g_free(from_s);
    g_free(to_s);
    g_strfreev(threads);
    g_strfreev(kinds);
    g_strfreev(apcs);
    bool usage = rc != 0;
    if (!usage)
        rc = trace_dump_filtered(argv[1], stdout, &f, &err);
    g_strfreev(f.threads);
    g_strfreev(f.kinds);
    g_strfreev(f.apcs);
    if (usage)
        return rc;
    if (rc) {
        fprintf(stderr, "apcsim dump: %s\n", err ? err->message : "failed");
        g_clear_error(&err);
        return rc;
    }
    return 0;
}

static void usage(FILE *out)
{
    fprintf(out,
            "apcsim %s - a deterministic simulator of the Windows NT APC machinery\n\n"
            "usage: apcsim COMMAND [OPTIONS] ...\n\n"
            "commands:\n"
            "  run SCENARIO.lua       simulate a scenario and write its trace (results/<scenario>.db)\n"
            "  dump FILE.db           print the canonical text of a trace, one transition a line\n"
            "  regress [PATH...]      re-run scenarios and compare them with their golden traces\n"
            "  diff A.db B.db         where two traces part: the first differing transition\n"
            "  replay FILE.db         the kernel state at any time, rebuilt from the trace alone\n"
            "  version                print the version\n"
            "  plot FILE.db -o OUT    timeline chart (PNG or SVG) drawn with gnuplot\n"
            "  export FILE.db -o OUT  Chrome trace-event JSON for Perfetto / chrome://tracing\n\n"
            "apcsim COMMAND --help shows the options of a command. The trace readers (dump, replay, diff,\n"
            "plot, export) refuse the trace of a run that did not complete unless given --partial.\n",
            APCSIM_VERSION);
}

int main(int argc, char **argv)
{
    /* SQLite keeps no memory statistics: without them its allocator takes no
     * global mutex per malloc (the trace writer's hottest lock). Must precede
     * any other SQLite call; bench/sqlite_limit.c does the same. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    const char *cmd = argv[1];
    /* --partial, for every trace reader: accept the trace of an interrupted run */
    int out = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--partial") == 0 && strcmp(cmd, "run") != 0 && strcmp(cmd, "regress") != 0)
            trace_allow_partial = true;
        else
            argv[out++] = argv[i];
    }
    argc = out;
    argv[argc] = NULL;
    signal(SIGXFSZ, SIG_IGN);       /* a full disk is an error to report, not a signal to die of */
    char prog[64];
    snprintf(prog, sizeof prog, "apcsim %s", cmd);
    argv[1] = prog;
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "dump") == 0)
        return cmd_dump(argc - 1, argv + 1);
    if (strcmp(cmd, "regress") == 0)
        return cmd_regress(argc - 1, argv + 1);
    if (strcmp(cmd, "diff") == 0)
        return cmd_diff(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("apcsim %s\n", APCSIM_VERSION);
        return 0;
    }
    if (strcmp(cmd, "replay") == 0)
        return cmd_replay(argc - 1, argv + 1);
    if (strcmp(cmd, "plot") == 0)
        return cmd_plot(argc - 1, argv + 1);
    if (strcmp(cmd, "export") == 0)
        return cmd_export(argc - 1, argv + 1);
    fprintf(stderr, "apcsim: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return EXIT_USAGE;
}
