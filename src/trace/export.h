/*
 * export.h - a trace as Chrome trace-event JSON (`apcsim export --format
 * chrome`), which Perfetto (ui.perfetto.dev) and chrome://tracing open.
 *
 * What the JSON holds (all built from the timeline of plot.h, so it shows
 * exactly what the chart shows):
 *
 *   process "CPUs" (pid 1)   one lane per CPU (tid 1000000 + cpu): a complete
 *                            ("X") slice per stretch a thread ran there,
 *                            named after the thread, with the facts ETW's
 *                            CSwitch event gives (NewThreadId, OldThreadId,
 *                            OldThreadState and OldThreadWaitReason in
 *                            Windows numbering, with their names); the idle
 *                            thread's stretches are left out. Per CPU an
 *                            "IRQL CPU n" counter ("C") with the level as
 *                            its "level" argument.
 *   one process per NT       (pid 2 + index, in creation order) with one lane
 *   process                  per thread (tid = thread id + 1), idle threads
 *                            under System: a slice per routine execution
 *                            (ThreadBody, KernelRoutine, NormalRoutine,
 *                            RundownRoutine, UserApcNormalRoutine, DPC
 *                            routines in the context of the thread they
 *                            interrupted), nested as they ran; instants
 *                            ("i") for APC insertions (on the target thread)
 *                            and mark() labels (on the marking thread).
 *   global instants          bugchecks.
 *   metadata ("M")           process and thread names and sort order.
 *
 * Every slice in a lane lies within its parent or after it ends (no partial
 * overlap), which both viewers need. Timestamps are microseconds with
 * nanosecond precision ("ts":12.345). Slices are written in the order they
 * began, so a parent precedes its children even at equal timestamps.
 */
#ifndef APCSIM_TRACE_EXPORT_H
#define APCSIM_TRACE_EXPORT_H

#include <glib.h>

/* Lane ids (see above). */
#define EXPORT_CPU_PID      1
#define EXPORT_CPU_TID_BASE 1000000

/*
 * Write the Chrome JSON of the trace `db` to `out` ("-" = standard output).
 * The file is written under a temporary name next to `out` and renamed into
 * place when complete. Returns 0, or a TRACE_ERR_* status (domain
 * TRACE_ERROR) for a file that is not a readable trace, or PLOT_ERR_WRITE
 * (domain PLOT_ERROR) when the output cannot be written; *err says why.
 */
int export_chrome(const char *db, const char *out, GError **err);

/* `apcsim export FILE.db --format chrome -o OUT.json` (src/trace/cmd_plot.c).
 * argv[0] is the program name. Returns the exit status (0, 2, TRACE_ERR_*,
 * PLOT_ERR_WRITE). */
int cmd_export(int argc, char **argv);

#endif /* APCSIM_TRACE_EXPORT_H */
