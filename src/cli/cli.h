/*
 * cli.h - what the command-line commands share: running one scenario
 * (simulate.c), time formatting and parsing, exit statuses.
 */
#ifndef APCSIM_CLI_H
#define APCSIM_CLI_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define APCSIM_VERSION "0.1.0"

enum { EXIT_OK = 0, EXIT_EXPECT = 1, EXIT_USAGE = 2, EXIT_SCENARIO = 3, EXIT_BUGCHECK = 4, EXIT_INVARIANT = 5,
       EXIT_INTERRUPTED = 130 };

/* One run of one scenario. */
typedef struct RunRequest {
    const char *scenario;
    const char *db;                 /* NULL = results/<scenario>.db */
    bool no_trace;
    int64_t seed;                   /* -1 = the scenario's */
    int profile;                    /* -1 = the scenario's */
    int64_t max_events;             /* -1 = default */
    int64_t instruction_budget;     /* 0 = default */
    int64_t memory_limit_mib;       /* 0 = default */
    const char *lua_dir;            /* NULL = find it */
    GHashTable *params;             /* may be NULL */
    bool quiet;                     /* no summary */
    bool check_invariants;          /* --check-invariants (also APCSIM_CHECK_INVARIANTS=1) */
    bool progress;                  /* progress line on a terminal */
    FILE *messages;                 /* where errors go (stderr if NULL) */
    GPtrArray *row_lines;           /* if non-NULL: [seq] = "file:line" of the scenario code that emitted the row */
    const char *chart;              /* draw a chart of the trace here after the run (--chart) */
    bool *hit_event_cap;            /* if non-NULL: set when the run stopped at max_events */
    bool exiting;                   /* the process exits after this run: the Lua state and the
                                     * machine are not freed (a storm's teardown costs up to a
                                     * fifth of its run), except in sanitizer builds, whose leak
                                     * check wants them freed */
} RunRequest;

/* Run it; returns the exit status of `apcsim run`. *trace_path (if non-NULL)
 * receives the complete trace's path (g_free), or NULL. */
int cli_simulate(const RunRequest *rq, char **trace_path);

/* "1.234 ms" for people (g_free). */
char *cli_fmt_time(int64_t ns);
/* The values of a repeatable option, each split at commas, empty parts
 * dropped: {"a,b", "c"} -> {"a", "b", "c"} (g_strfreev), or NULL if none. */
char **cli_split_list(char **values);

/* The first line of a run's messages (cli_simulate's rq->messages) that
 * says something, without the "apcsim: " prefix: a bugcheck's message opens
 * with the debugger's banner of asterisks, so its first line of text is
 * "NAME (code)". Cuts buf at that line's end; "" when there is none
 * ("interrupted" for EXIT_INTERRUPTED). */
const char *cli_first_reason(char *buf, int code);
/* --param NAME=VALUE list into a table; false + message on a malformed one. */
bool cli_parse_params(char **params, GHashTable **out, const char *cmd);
/* Read a scenario's "-- args:" header (extra arguments its tests run it with). */
char **cli_scenario_args(const char *scenario);

int cmd_run(int argc, char **argv);
int cmd_regress(int argc, char **argv);
int cmd_diff(int argc, char **argv);

/* Parse a command's options and free ctx. On an error says so on stderr
 * ("apcsim CMD: ... (see apcsim CMD --help)") and returns false: the
 * command then exits with EXIT_USAGE. */
bool cli_parse_options(GOptionContext *ctx, int *argc, char ***argv, const char *cmd);

/* diff.c: the first index where two line arrays differ (a shorter one ends
 * first), or -1 if they are equal. */
int cli_first_divergence(GPtrArray *a, GPtrArray *b);
/* Print lines[at - context .. at + context] to out, "label > line" at at. */
void cli_show_context(FILE *out, const char *label, GPtrArray *lines, int at, int context);

#endif /* APCSIM_CLI_H */
