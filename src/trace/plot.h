/*
 * plot.h - the timeline of a trace, and the timeline chart gnuplot draws
 * from it (`apcsim plot`, `apcsim run --chart`).
 *
 * Two layers:
 *
 *   1. The timeline (PlotTimeline): a trace read once, in seq order, and
 *      folded into intervals and instants: each thread's states, which
 *      thread ran on each CPU (with the ETW CSwitch facts of the switch),
 *      every routine execution (begin/end paired, nested per thread), IRQL
 *      changes per CPU, APC insertions, marks and bugchecks. export.c builds
 *      its Chrome JSON from the same model, so the chart and the JSON can
 *      never disagree about what ran when.
 *
 *   2. The chart (plot_trace): data files plus a generated gnuplot script
 *      written to a directory, then gnuplot run on them. The data files are
 *      plain text with integer nanosecond times and are deterministic for a
 *      trace and a set of options (tests/golden/plot/ holds some).
 *
 * Aggregation rule for many threads (the chart stays readable with 2 CPUs
 * and 6 threads as with 16 CPUs and 200 threads):
 *
 *   - thread lanes are drawn for the threads alive somewhere in the window
 *     [from, to] (idle threads never get one: what they do shows in the CPU
 *     lanes); with --threads exactly the named threads get lanes, one each;
 *   - up to PLOT_MAX_THREAD_LANES such threads: one lane each;
 *   - more: the PLOT_DETAIL_THREADS most active threads keep a lane each
 *     (activity = APC insertions aimed at the thread, routines it ran and
 *     marks it wrote in the window; ties broken by CPU time in the window,
 *     then by creation order) and the others are aggregated, one lane per
 *     process (at most PLOT_MAX_GROUP_LANES; the smaller processes beyond
 *     share one "other processes" lane). An aggregated lane is a stacked
 *     histogram: in each time bin (PLOT_BIN_PX pixels wide) the share of
 *     the group's threads in each state, averaged over the bin, in the same
 *     colours as a thread lane;
 *   - CPU lanes are never aggregated: one lane for the running thread and
 *     one for the IRQL step line per CPU;
 *   - markers that would land on one another in a lane are pushed right, at
 *     most a few marker widths, and those that do not fit are counted in a
 *     "+N" label; mark() labels go into up to PLOT_MAX_MARK_ROWS rows above
 *     the lanes and those that fit nowhere are counted in the chart title.
 */
#ifndef APCSIM_TRACE_PLOT_H
#define APCSIM_TRACE_PLOT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* ---- the timeline of a trace -------------------------------------------- */

typedef struct PlotProcess {
    int32_t id;
    char *name;
} PlotProcess;

typedef struct PlotThread {
    int32_t id;                 /* the trace's thread id */
    char *name;
    int32_t process;            /* index into PlotTimeline.processes, -1 unknown */
    int32_t idle_cpu;           /* the CPU this is the idle thread of, else -1 */
    bool system;
    int64_t created;            /* t of THREAD_CREATE (0 if the trace has none) */
} PlotThread;

/* A thread in one state over [t0, t1) (t1 > t0; instants are dropped).
 * Initialized is never stored. */
typedef struct PlotState {
    int64_t t0, t1;
    int32_t thread;             /* index into PlotTimeline.threads */
    int32_t state;              /* KTHREAD_STATE, Windows numbering */
    int32_t reason;             /* KWAIT_REASON when state == Waiting, else -1 */
} PlotState;

/* A thread on a CPU over [t0, t1] (may be an instant), with what ETW's
 * CSwitch event reports about the switch that began it. */
typedef struct PlotRun {
    int64_t t0, t1;
    int32_t cpu;
    int32_t thread;             /* index */
    int32_t prev;               /* index of the thread switched out, -1 at the start */
    int32_t prev_state;         /* its KTHREAD_STATE after the switch, -1 unknown */
    int32_t prev_reason;        /* its KWAIT_REASON when it went Waiting, else -1 */
} PlotRun;

/* One routine execution: a ROUTINE_BEGIN row and its ROUTINE_END. A routine
 * still open when an enclosing one ends, or at the end of the trace, ends
 * there with `unfinished` set. Routines of one thread nest properly: each
 * lies within its parent (the one on top of the thread's stack when it
 * began). Stored in ROUTINE_BEGIN order, so a parent precedes its children. */
typedef struct PlotRoutine {
    int64_t t0, t1;
    int64_t seq;                /* of the ROUTINE_BEGIN row */
    int32_t cpu;                /* CPU the routine began on */
    int32_t thread;             /* index of the thread whose context it ran in */
    int32_t obj;                /* APC or DPC id, -1 for ThreadBody */
    int32_t kind;               /* KROUTINE_KIND */
    int32_t irql, mode;         /* at the beginning */
    int32_t depth;              /* 0 = outermost in its thread */
    int32_t parent;             /* index into routines, -1 */
    bool unfinished;
} PlotRoutine;

/* The IRQL of a CPU is `level` from t on (rows in seq order; each CPU's
 * first entry is at the start of the trace). */
typedef struct PlotIrql {
    int64_t t;
    int32_t cpu;
    int32_t level;
} PlotIrql;

typedef enum PLOT_INSTANT_KIND {
    PLOT_I_INSERT = 0,          /* APC_INSERT: thread = target, cpu = inserting CPU */
    PLOT_I_MARK = 1,            /* MARK: text = label */
    PLOT_I_BUGCHECK = 2,        /* BUGCHECK: obj = code, a..d = parameters, text = name */
} PLOT_INSTANT_KIND;

typedef struct PlotInstant {
    int64_t t;
    int64_t seq;
    int32_t kind;               /* PLOT_INSTANT_KIND */
    int32_t cpu;
    int32_t thread;             /* index, -1 */
    int32_t obj;
    int64_t a, b, c, d, e;      /* the row's fields */
    char *text;                 /* may be NULL */
} PlotInstant;

typedef struct PlotTimeline {
    int ncpus;
    int64_t t_end;              /* RUN_END, else the last row */
    bool complete;              /* meta.complete = 1 */
    GHashTable *meta;           /* key -> value (char *) */
    GPtrArray *processes;       /* PlotProcess *, in creation order */
    GPtrArray *threads;         /* PlotThread *, in creation order */
    GHashTable *apc_names;      /* GINT_TO_POINTER(id) -> name */
    GArray *states;             /* PlotState */
    GArray *runs;               /* PlotRun, in order of the switches */
    GArray *routines;           /* PlotRoutine, in ROUTINE_BEGIN order */
    GArray *irql;               /* PlotIrql, in seq order */
    GArray *instants;           /* PlotInstant, in seq order */
} PlotTimeline;

/* Read the trace at `db` (checked with trace_open_readonly; incomplete traces
 * are read too, and say so in `complete`). Returns 0 and *out (free with
 * plot_timeline_free), or a TRACE_ERR_* status with *err set and *out NULL. */
int plot_timeline_load(const char *db, PlotTimeline **out, GError **err);
void plot_timeline_free(PlotTimeline *tl);

/* The name of an APC/DPC id ("#id" if it has none, "-" for -1); valid as
 * long as tl. */
const char *plot_timeline_apc_name(const PlotTimeline *tl, int32_t id);

/* ---- the chart ---------------------------------------------------------- */

#define PLOT_MAX_THREAD_LANES 24
#define PLOT_DETAIL_THREADS   12
#define PLOT_MAX_GROUP_LANES  8
#define PLOT_MAX_MARK_ROWS    8
#define PLOT_BIN_PX           3

/* Exit statuses of plot and export besides the TRACE_ERR_* of store.h. */
#define PLOT_ERROR (plot_error_quark())
GQuark plot_error_quark(void);
enum {
    PLOT_ERR_USAGE = 2,         /* bad option value (time, thread name, extension) */
    PLOT_ERR_WRITE = 16,        /* cannot write the output or the data (= TRACE_ERR_WRITE) */
    PLOT_ERR_NO_GNUPLOT = 17,   /* gnuplot is not on PATH */
    PLOT_ERR_GNUPLOT = 18,      /* gnuplot failed or wrote no file */
};

typedef struct PlotOptions {
    int64_t from, to;           /* window in ns; -1 = start / end of the trace */
    const char *threads;        /* comma-separated thread names; NULL = automatic */
    const char *title;          /* NULL = the scenario's file name */
    const char *keep_data;      /* write data + script into this directory and keep
                                 * them; NULL = a temporary directory, removed */
    const char *gnuplot;        /* the program; NULL = "gnuplot" found on PATH */
    bool data_only;             /* write the data and the script, do not run gnuplot */
} PlotOptions;

/* The options plot_trace uses when given NULL. */
void plot_options_init(PlotOptions *opt);

/*
 * Draw the chart of the trace `db` into `out` (".png": pngcairo, or png if
 * gnuplot lacks cairo; ".svg": svg). `opt` may be NULL (defaults: the whole
 * run, every thread, the scenario's name as title). The image is written
 * under a temporary name next to `out` and renamed into place once gnuplot
 * succeeded, so `out` is never left half written.
 *
 * Returns 0, or the exit status with *err set to a one-line message:
 * a TRACE_ERR_* status (domain TRACE_ERROR) for a file that is not a
 * readable trace, or a PLOT_ERR_* status (domain PLOT_ERROR).
 * This is the function `apcsim run --chart FILE` calls after the run.
 */
int plot_trace(const char *db, const char *out, const PlotOptions *opt, GError **err);

/* Where an output file (chart, JSON) is really written. A FIFO, a device
 * (/dev/stdout) or anything else that is not a regular file is written in
 * place (*in_place set) and never renamed over; a symlink is followed to
 * the file it names, so the link stays a link; otherwise OUT itself. The
 * callers write a regular file as OUT.tmp-PID and rename it into place.
 * Returns a new string. Any caller. */
char *plot_output_target(const char *out, bool *in_place);

/* The end of writing tmp for target: renamed into place when code is 0
 * (a failure sets *err: "cannot write OUT", PLOT_ERR_WRITE), removed
 * otherwise. Returns the status. Any caller. */
int plot_output_commit(const char *tmp, const char *target, const char *out, int code, GError **err);

/* Parse a time for --from/--to: a non-negative number with an optional
 * unit, "ns", "us" (or "µs"), "ms" or "s" ("500us", "3ms", "1.5s"); a bare
 * number is in nanoseconds. Returns false and sets *err (PLOT_ERR_USAGE) if
 * s is not such a time. */
bool plot_parse_time(const char *s, int64_t *ns, GError **err);

/* `apcsim plot FILE.db -o OUT [--from T] [--to T] [--threads A,B] [--title
 * TEXT] [--keep-data DIR]` (src/trace/cmd_plot.c). argv[0] is the program
 * name. Returns the exit status (0, 2, TRACE_ERR_*, PLOT_ERR_*). */
int cmd_plot(int argc, char **argv);

#endif /* APCSIM_TRACE_PLOT_H */
