/*
 * cmd_replay.c - `apcsim replay FILE.db`: the kernel state at a time or a
 * row of a trace, rebuilt from the trace alone (replay.c), printed the way
 * a kernel debugger shows it (!pcr, !thread, !apc), or as the canonical
 * state text for diffing.
 *
 * Exit statuses: 0; 2 for a usage mistake (an option, a time, a thread or
 * CPU that the trace does not have); the TRACE_ERR_* statuses of store.h
 * (10-15) for a file that is not a readable trace; TRACE_ERR_WRITE (16) if
 * --index cannot write the checkpoints.
 */
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ke/ke.h"
#include "trace/replay.h"
#include "trace/store.h"

enum { REPLAY_EXIT_USAGE = 2 };

static int
usage_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

static int
usage_error(const char *fmt, ...)
{
    va_list ap;

    fputs("apcsim replay: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (see apcsim replay --help)\n", stderr);
    return REPLAY_EXIT_USAGE;
}

/* The trace and the point, two lines. */
static void
print_header(Replay *r, const char *path, int64_t seq, const char *at_text, int64_t at, GString *out)
{
    const char *scenario = replay_meta(r, "scenario");
    const char *profile = replay_meta(r, "profile");
    const char *seed = replay_meta(r, "seed");
    const char *cpus = replay_meta(r, "cpus");
    const char *outcome = replay_meta(r, "outcome");
    const char *complete = replay_meta(r, "complete");
    int64_t last = replay_last_seq(r);

    g_string_append_printf(out, "trace  %s", path);
    if (scenario)
        g_string_append_printf(out, "  %s", scenario);
    if (profile)
        g_string_append_printf(out, "  profile %s", profile);
    if (seed)
        g_string_append_printf(out, "  seed %s", seed);
    if (cpus)
        g_string_append_printf(out, "  %s CPU%s", cpus, strcmp(cpus, "1") == 0 ? "" : "s");
    g_string_append_printf(out, "\n       %" PRId64 " rows to ", last);
    replay_append_time(out, last ? replay_time_of(r, last) : 0);
    if (outcome)
        g_string_append_printf(out, " (%s)", outcome);
    if (!complete || strcmp(complete, "1") != 0)
        g_string_append(out, "  INCOMPLETE: an interrupted run, the state is known up to its last row");
    g_string_append_printf(out, "\nstate  after row %" PRId64 ", t = ", seq);
    replay_append_time(out, replay_state_time(replay_state(r)));
    if (at_text) {
        g_string_append(out, "  (--at ");
        replay_append_time(out, at);
        if (at > replay_time_of(r, last))
            g_string_append(out, ": after the end of the trace");
        g_string_append_c(out, ')');
    }
    g_string_append_c(out, '\n');
}

static void
print_notes(Replay *r, bool stats, GString *out)
{
    const ReplayState *st = replay_state(r);
    ReplayRunInfo run;
    ReplaySeekInfo info;

    replay_state_run_info(st, &run);
    if (run.bugchecked) {
        g_string_append_printf(out, "*** BUGCHECK %s (0x%X) at ", ke_bugcheck_name(run.bug_code), run.bug_code);
        replay_append_time(out, run.bug_t);
        if (run.bug_cpu >= 0)
            g_string_append_printf(out, " on processor %" PRId32, run.bug_cpu);
        if (run.bug_thread >= 0) {
            const char *n = replay_name(r, "thread", run.bug_thread);

            g_string_append_printf(out, ", thread %s", n ? n : "?");
        }
        g_string_append_printf(out, ": (%" PRIx64 ", %" PRIx64 ", %" PRIx64 ", %" PRIx64 ")\n", run.bug_p[0],
                               run.bug_p[1], run.bug_p[2], run.bug_p[3]);
    }
    if (run.ended)
        g_string_append_printf(out, "*** the run has ended: %s\n", run.stop_text ? run.stop_text : "?");
    if (replay_state_disagreements(st))
        g_string_append_printf(out, "warning: %" PRId64 " rows of this trace do not fit the rebuilt state; the "
                               "first: %s\n", replay_state_disagreements(st), replay_state_first_disagreement(st));
    if (stats) {
        replay_seek_info(r, &info);
        if (info.from_checkpoint)
            g_string_append_printf(out, "rebuilt from the checkpoint at row %" PRId64 " and %" PRId64
                                   " rows after it (%" PRId64 " checkpoints in the file)\n",
                                   info.from_seq, info.rows_applied, info.checkpoints);
        else
            g_string_append_printf(out, "rebuilt from row %" PRId64 " with %" PRId64 " rows (%" PRId64
                                   " checkpoints in the file%s)\n", info.from_seq, info.rows_applied,
                                   info.checkpoints,
                                   info.checkpoints || info.rows_applied < REPLAY_CHECKPOINT_MIN_ROWS
                                       ? "" : "; apcsim replay --index FILE adds them");
    }
}

/* Keep the lines of a canonical text that belong to the selection. */
static void
filter_canonical(const char *text, const GPtrArray *thread_names, int cpu, GString *out)
{
    char **lines = g_strsplit(text, "\n", -1);
    char cpu_prefix[32];

    g_snprintf(cpu_prefix, sizeof cpu_prefix, "cpu %d.", cpu);
    for (char **l = lines; *l; l++) {
        bool keep = false;

        if (!**l)
            continue;
        if (cpu >= 0 && g_str_has_prefix(*l, cpu_prefix))
            keep = true;
        for (guint i = 0; thread_names && i < thread_names->len && !keep; i++) {
            char *prefix = g_strdup_printf("thread %s.", (const char *)thread_names->pdata[i]);

            keep = g_str_has_prefix(*l, prefix);
            g_free(prefix);
        }
        if (keep) {
            g_string_append(out, *l);
            g_string_append_c(out, '\n');
        }
    }
    g_strfreev(lines);
}

/* Threads to show by default: every one that is not a CPU's idle thread. */
static GArray *
default_threads(Replay *r)
{
    const KSNAP *s = replay_state_snapshot(replay_state(r));
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(int32_t));

    for (guint i = 0; i < s->threads->len; i++) {
        const KSNAP_THREAD *t = g_ptr_array_index(s->threads, i);

        if (t->idle_cpu < 0)
            g_array_append_val(ids, t->id);
    }
    return ids;
}

static bool
thread_exists(Replay *r, int32_t id)
{
    const KSNAP *s = replay_state_snapshot(replay_state(r));

    for (guint i = 0; i < s->threads->len; i++)
        if (((const KSNAP_THREAD *)g_ptr_array_index(s->threads, i))->id == id)
            return true;
    return false;
}

/*
 * `apcsim replay FILE.db [--at T | --seq N] [--thread NAME] [--cpu N]
 * [--canonical] [--index] [--stats]`. argv[0] is the program name.
 */
int
cmd_replay(int argc, char **argv)
{
    g_autofree char *at_s = NULL, *seq_s = NULL, *thread_s = NULL;
    gint cpu = G_MININT;        /* not given */
    gboolean canonical = FALSE, do_index = FALSE, stats = FALSE;
    GOptionEntry entries[] = {
        { "at", 0, 0, G_OPTION_ARG_FILENAME, &at_s,
          "The state after the last row at or before time T (500us, 1.5ms, 2s; a bare number is ns; "
          "default: the end of the trace)", "T" },
        { "seq", 0, 0, G_OPTION_ARG_FILENAME, &seq_s, "The state after row N (0 = before the first row)", "N" },
        { "thread", 0, 0, G_OPTION_ARG_FILENAME, &thread_s, "Show this thread only (!thread, !apc)", "NAME" },
        { "cpu", 0, 0, G_OPTION_ARG_INT, &cpu, "Show this processor only (!pcr)", "N" },
        { "canonical", 0, 0, G_OPTION_ARG_NONE, &canonical,
          "Print the canonical state text (one field a line, for diff) instead", NULL },
        { "index", 0, 0, G_OPTION_ARG_NONE, &do_index,
          "First add checkpoints to the trace (opens it read-write), for traces written without them", NULL },
        { "stats", 0, 0, G_OPTION_ARG_NONE, &stats, "Say how the state was rebuilt (checkpoint, rows)", NULL },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    GOptionContext *ctx = g_option_context_new("FILE.db - the kernel state at a point of a trace");
    GError *err = NULL;
    int code = 0;

    g_option_context_set_summary(ctx,
        "Rebuilds the complete kernel state at a time (or row) of a trace from the trace alone - the\n"
        "scenario is never run again - and prints it as WinDbg/KD would: !pcr for each processor\n"
        "(IRQL, current and next thread, software interrupt requests, DPC and ready queues), !thread\n"
        "for each thread (state, wait, mode, priority, both APC states, the pending and in-progress\n"
        "flags, disable counters, alerts, attach state, suspend count) and !apc. Under each queued\n"
        "APC a \"why:\" line names what holds it back, with the SEMANTICS.md rule IDs.\n\n"
        "Seeking is fast at any point of a long trace when the trace has checkpoints (the saved state\n"
        "every so many rows); --index adds them to a trace that has none.\n\n"
        "Exit status: 0 ok, 2 usage (also an unknown thread or CPU), 10-15 the file is not a\n"
        "readable apcsim trace (as for apcsim dump), 16 --index could not write.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        int rc = usage_error("%s", err->message);

        g_error_free(err);
        g_option_context_free(ctx);
        return rc;
    }
    g_option_context_free(ctx);
    if (argc != 2)
        return usage_error("give exactly one trace file");
    if (at_s && seq_s)
        return usage_error("--at and --seq both name the point; give one");

    const char *path = argv[1];
    int64_t at = 0, seq_req = -1;

    if (at_s && !trace_parse_time(at_s, &at))
        return usage_error("--at takes a time such as 500us, 1.5ms or 2s, not '%s'", at_s);
    if (seq_s) {
        char *end;
        errno = 0;
        gint64 v = g_ascii_strtoll(seq_s, &end, 10);

        if (!g_ascii_isdigit(*seq_s) || *end || errno || v < 0)
            return usage_error("--seq takes a row number (0 or more), not '%s'", seq_s);
        seq_req = v;
    }

    if (do_index) {
        int64_t n = 0;

        code = replay_index(path, 0, &n, &err);
        if (code) {
            fprintf(stderr, "apcsim replay: %s\n", err ? err->message : "cannot index");
            g_clear_error(&err);
            return code;
        }
        fprintf(stderr, "apcsim replay: %s: %" PRId64 " checkpoint%s written\n", path, n, n == 1 ? "" : "s");
    }

    Replay *r = replay_open(path, &code, &err);

    if (!r) {
        fprintf(stderr, "apcsim replay: %s\n", err ? err->message : "cannot open the trace");
        g_clear_error(&err);
        return code ? code : TRACE_ERR_NOT_FOUND;
    }

    int64_t last = replay_last_seq(r);
    int64_t seq = seq_req >= 0 ? seq_req : at_s ? replay_seq_at_time(r, at) : last;
    int rc = 0;
    GArray *threads = NULL;
    GPtrArray *thread_names = g_ptr_array_new_with_free_func(g_free);
    GString *out = g_string_new(NULL);
    const KSNAP *snap;

    if (seq > last) {
        rc = usage_error("--seq %" PRId64 ": the trace has %" PRId64 " rows", seq, last);
        goto done;
    }
    if (!replay_seek(r, seq, &err)) {
        fprintf(stderr, "apcsim replay: %s\n", err ? err->message : "cannot read the trace");
        g_clear_error(&err);
        rc = TRACE_ERR_DAMAGED;
        goto done;
    }
    if (replay_state_disagreements(replay_state(r))) {
        /* rows that do not follow from the rows before them: missing,
         * added or altered rows (a state built from them would be wrong) */
        fprintf(stderr, "apcsim replay: %s is damaged: %" PRId64 " of its rows do not fit the state rebuilt from "
                        "the rows before them; the first: %s\n", path,
                replay_state_disagreements(replay_state(r)), replay_state_first_disagreement(replay_state(r)));
        rc = TRACE_ERR_DAMAGED;
        goto done;
    }
    if (at_s && at > replay_state_time(replay_state(r)))
        replay_set_now(r, at);
    snap = replay_state_snapshot(replay_state(r));
    if (cpu == G_MININT) {
        cpu = -1;               /* every CPU */
    } else if (cpu < 0) {
        rc = usage_error("--cpu takes a processor number (0 or more), not %d", cpu);
        goto done;
    }
    if (cpu >= 0 && cpu >= snap->ncpus) {
        rc = usage_error("--cpu %d: the machine has %d CPU%s", cpu, snap->ncpus, snap->ncpus == 1 ? "" : "s");
        goto done;
    }
    if (thread_s) {
        GArray *named = replay_threads_named(r, thread_s);

        threads = g_array_new(FALSE, FALSE, sizeof(int32_t));
        for (guint i = 0; i < named->len; i++)
            if (thread_exists(r, g_array_index(named, int32_t, i)))
                g_array_append_val(threads, g_array_index(named, int32_t, i));
        if (threads->len == 0) {
            rc = usage_error(named->len ? "thread '%s' does not exist yet at this point of the trace"
                                        : "the trace has no thread named '%s'", thread_s);
            g_array_unref(named);
            goto done;
        }
        g_array_unref(named);
        g_ptr_array_add(thread_names, g_strdup(thread_s));
    }

    if (canonical) {
        GString *text = g_string_new(NULL);

        replay_snapshot_text(r, text);
        if (thread_s || cpu >= 0)
            filter_canonical(text->str, thread_names, cpu, out);
        else
            g_string_append(out, text->str);
        g_string_free(text, TRUE);
        fputs(out->str, stdout);
        goto done;
    }

    print_header(r, path, seq, at_s, at, out);
    print_notes(r, stats, out);

    /* !pcr: the selected CPU, or all when no thread was selected */
    for (int i = 0; i < snap->ncpus; i++) {
        if (cpu >= 0 ? i != cpu : thread_s != NULL)
            continue;
        g_string_append_printf(out, "\n%d: kd> !pcr %d\n", i, i);
        replay_print_pcr(r, i, out);
    }
    /* !thread: the selected threads, else the thread running on the
     * selected CPU, else every thread but the idle ones */
    if (!threads) {
        if (cpu >= 0) {
            int32_t cur = snap->cpu[cpu].current;

            threads = g_array_new(FALSE, FALSE, sizeof(int32_t));
            if (cur >= 0 && cur != snap->cpu[cpu].idle)
                g_array_append_val(threads, cur);
        } else {
            threads = default_threads(r);
        }
    }
    for (guint i = 0; i < threads->len; i++) {
        int32_t id = g_array_index(threads, int32_t, i);
        const char *n = replay_name(r, "thread", id);

        g_string_append_printf(out, "\n%d: kd> !thread %s\n", cpu >= 0 ? cpu : 0, n ? n : "?");
        replay_print_thread(r, id, out);
    }
    /* !apc and the objects: one thread's APCs (with --cpu too), or for a
     * whole-machine view */
    if (thread_s) {
        for (guint i = 0; i < threads->len; i++) {
            g_string_append_printf(out, "\n%d: kd> !apc thread %s\n", cpu >= 0 ? cpu : 0, thread_s);
            replay_print_apcs(r, g_array_index(threads, int32_t, i), out);
        }
    } else if (cpu < 0) {
        g_string_append(out, "\n0: kd> !apc\n");
        replay_print_apcs(r, -1, out);
        g_string_append(out, "\n0: kd> !object (dispatcher objects)\n");
        replay_print_objects(r, out);
    }
    fputs(out->str, stdout);

done:
    if (fflush(stdout) != 0 && rc == 0)
        rc = TRACE_ERR_WRITE;
    g_string_free(out, TRUE);
    g_ptr_array_free(thread_names, TRUE);
    if (threads)
        g_array_unref(threads);
    replay_close(r);
    return rc;
}
