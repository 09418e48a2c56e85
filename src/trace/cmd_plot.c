/*
 * cmd_plot.c - the `apcsim plot` and `apcsim export` commands: option
 * parsing and messages around plot_trace (plot.h) and export_chrome
 * (export.h).
 *
 * Exit statuses: 0 ok; 2 usage (a bad option or option value); the
 * TRACE_ERR_* statuses of store.h (10-15) for a file that is not a readable
 * apcsim trace; 16 the output cannot be written; plot only: 17 gnuplot is
 * not on PATH, 18 gnuplot failed. Every failure is one line on stderr,
 * "apcsim plot: <why>".
 */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "trace/export.h"
#include "trace/plot.h"
#include "trace/store.h"

enum { CMD_EXIT_USAGE = 2 };

static int
usage_error(const char *cmd, const char *msg)
{
    fprintf(stderr, "apcsim %s: %s (see apcsim %s --help)\n", cmd, msg, cmd);
    return CMD_EXIT_USAGE;
}

/* Parse the options; on failure print the one-line error and return false. */
static bool
parse(const char *cmd, GOptionContext *ctx, int *argc, char ***argv)
{
    GError *err = NULL;

    if (!g_option_context_parse(ctx, argc, argv, &err)) {
        usage_error(cmd, err->message);
        g_error_free(err);
        return false;
    }
    return true;
}

/*
 * apcsim plot FILE.db -o OUT.png|OUT.svg [--from T] [--to T] [--threads a,b]
 *             [--title TEXT] [--keep-data DIR]
 */
int
cmd_plot(int argc, char **argv)
{
    g_autofree char *out = NULL, *from_s = NULL, *to_s = NULL, *threads = NULL, *title = NULL;
    g_autofree char *keep = NULL;
    GOptionEntry entries[] = {
        { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "The chart: a .png or .svg file (required)", "OUT" },
        { "from", 0, 0, G_OPTION_ARG_FILENAME, &from_s, "Start of the window (default: the start of the run)", "T" },
        { "to", 0, 0, G_OPTION_ARG_FILENAME, &to_s, "End of the window (default: the end of the run)", "T" },
        { "threads", 0, 0, G_OPTION_ARG_FILENAME, &threads,
          "Give exactly these threads a lane each (comma-separated names)", "A,B" },
        { "title", 0, 0, G_OPTION_ARG_FILENAME, &title, "Title (default: the scenario's file name)", "TEXT" },
        { "keep-data", 0, 0, G_OPTION_ARG_FILENAME, &keep,
          "Write gnuplot's data files and script into DIR and keep them", "DIR" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    GOptionContext *ctx = g_option_context_new("FILE.db -o OUT.png|OUT.svg - draw a timeline chart of a trace");
    PlotOptions opt;
    GError *err = NULL;
    bool ok;
    int code;

    g_option_context_set_summary(ctx,
        "Draws the run with gnuplot: a lane per thread coloured by state (Running, Ready, Waiting with\n"
        "its wait reason, Terminated), per CPU a lane with the running thread, DPC and APC routine strips\n"
        "and a lane with the IRQL; markers for APC insertions, routine starts and mark() labels.\n"
        "With many threads the most active keep a lane and the others are aggregated per process.\n"
        "Times take units: 250ns, 500us, 3ms, 1.5s.\n\n"
        "Exit status: 0 ok, 2 usage, 10-15 not a readable trace (as for dump), 16 cannot write,\n"
        "17 gnuplot not found, 18 gnuplot failed.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    ok = parse("plot", ctx, &argc, &argv);
    g_option_context_free(ctx);
    if (!ok)
        return CMD_EXIT_USAGE;
    if (argc != 2)
        return usage_error("plot", argc < 2 ? "give the trace file" : "give exactly one trace file");
    if (!out)
        return usage_error("plot", "give the chart's file with -o OUT.png or -o OUT.svg");

    plot_options_init(&opt);
    if ((from_s && !plot_parse_time(from_s, &opt.from, &err)) ||
        (to_s && !plot_parse_time(to_s, &opt.to, &err))) {
        char *msg = g_strdup_printf("--%s: %s", from_s && opt.from < 0 ? "from" : "to", err->message);

        code = usage_error("plot", msg);
        g_free(msg);
        g_error_free(err);
        return code;
    }
    opt.threads = threads;
    opt.title = title;
    opt.keep_data = keep;
    code = plot_trace(argv[1], out, &opt, &err);
    if (code != 0) {
        fprintf(stderr, "apcsim plot: %s\n", err ? err->message : "failed");
        g_clear_error(&err);
    }
    return code;
}

/*
 * apcsim export FILE.db --format chrome -o OUT.json
 */
int
cmd_export(int argc, char **argv)
{
    g_autofree char *out = NULL, *format = NULL;
    GOptionEntry entries[] = {
        { "format", 0, 0, G_OPTION_ARG_FILENAME, &format, "Output format: chrome (the default)", "FORMAT" },
        { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "The JSON file, - for standard output (required)", "OUT" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    GOptionContext *ctx = g_option_context_new("FILE.db --format chrome -o OUT.json - export a trace");
    GError *err = NULL;
    bool ok;
    int code;

    g_option_context_set_summary(ctx,
        "Writes Chrome trace-event JSON that Perfetto (ui.perfetto.dev) and chrome://tracing open:\n"
        "a lane per CPU with the running thread (ETW CSwitch fields in the slice's arguments), a lane\n"
        "per thread with its routines (ThreadBody, APC and DPC routines) as nested slices, the IRQL\n"
        "of each CPU as a counter, instants for APC insertions, mark() labels and bugchecks.\n\n"
        "Exit status: 0 ok, 2 usage, 10-15 not a readable trace (as for dump), 16 cannot write.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    ok = parse("export", ctx, &argc, &argv);
    g_option_context_free(ctx);
    if (!ok)
        return CMD_EXIT_USAGE;
    if (argc != 2)
        return usage_error("export", argc < 2 ? "give the trace file" : "give exactly one trace file");
    if (format && strcmp(format, "chrome") != 0) {
        char *msg = g_strdup_printf("unknown format '%s' (known: chrome)", format);

        code = usage_error("export", msg);
        g_free(msg);
        return code;
    }
    if (!out)
        return usage_error("export", "give the output file with -o OUT.json (- for standard output)");
    code = export_chrome(argv[1], out, &err);
    if (code != 0) {
        fprintf(stderr, "apcsim export: %s\n", err ? err->message : "failed");
        g_clear_error(&err);
    }
    return code;
}
