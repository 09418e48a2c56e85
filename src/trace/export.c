/*
 * export.c - Chrome trace-event JSON from the timeline of a trace.
 *
 * export.h says what the JSON holds. The JSON is written by hand: the
 * format is a flat array of small objects, and the only subtle part is
 * strings (names come from scenarios: any bytes). Strings are made valid
 * UTF-8 first (invalid bytes become U+FFFD), then '"' and '\' are escaped
 * and control characters written as \n, \t, ... or \u00XX.
 *
 * Events are written in groups (metadata, CPU slices, routine slices,
 * counters, instants), each group in time order; viewers sort by timestamp
 * themselves, and within a lane the order of slices that begin at the same
 * time is their order in the file, which is the order they began.
 *
 * Rejected: B/E pairs (twice the events, and an unfinished routine would
 * need a synthetic E anyway); one counter with a key per CPU
 * (chrome://tracing stacks the keys of one counter on top of each other).
 */
#include "trace/export.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ke/ntdef.h"
#include "trace/plot.h"
#include "trace/store.h"

typedef struct Writer {
    FILE *f;
    bool first;                 /* no event written yet */
    const PlotTimeline *tl;
} Writer;

/* Append s as a JSON string. */
static void
json_str(GString *out, const char *s)
{
    char *valid = g_utf8_make_valid(s ? s : "", -1);

    g_string_append_c(out, '"');
    for (const char *p = valid; *p; p++) {
        unsigned char ch = (unsigned char)*p;

        switch (ch) {
        case '"': g_string_append(out, "\\\""); break;
        case '\\': g_string_append(out, "\\\\"); break;
        case '\b': g_string_append(out, "\\b"); break;
        case '\f': g_string_append(out, "\\f"); break;
        case '\n': g_string_append(out, "\\n"); break;
        case '\r': g_string_append(out, "\\r"); break;
        case '\t': g_string_append(out, "\\t"); break;
        default:
            if (ch < 0x20 || ch == 0x7f)
                g_string_append_printf(out, "\\u%04x", ch);
            else
                g_string_append_c(out, (char)ch);
            break;
        }
    }
    g_string_append_c(out, '"');
    g_free(valid);
}

/* Nanoseconds as microseconds with three decimals (exact). */
static void
json_us(GString *out, int64_t ns)
{
    if (ns < 0) {
        g_string_append_c(out, '-');
        ns = -ns;
    }
    g_string_append_printf(out, "%" PRId64 ".%03d", ns / 1000, (int)(ns % 1000));
}

static void
emit(Writer *w, GString *ev)
{
    fputs(w->first ? "\n" : ",\n", w->f);
    fwrite(ev->str, 1, ev->len, w->f);
    w->first = false;
    g_string_truncate(ev, 0);
}

static const PlotThread *
thread_at(const PlotTimeline *tl, int32_t ix)
{
    return g_ptr_array_index(tl->threads, ix);
}

static int
pid_of(const PlotTimeline *tl, int32_t ix)
{
    int32_t p = thread_at(tl, ix)->process;

    return 2 + (p >= 0 ? p : (int)tl->processes->len);
}

static int64_t
tid_of(const PlotTimeline *tl, int32_t ix)
{
    return (int64_t)thread_at(tl, ix)->id + 1;
}

static void
ev_begin(GString *ev, const char *ph, const char *name, int pid, int64_t tid)
{
    g_string_append_printf(ev, "{\"ph\":\"%s\",\"name\":", ph);
    json_str(ev, name);
    g_string_append_printf(ev, ",\"pid\":%d,\"tid\":%" PRId64, pid, tid);
}

static void
metadata(Writer *w, GString *ev)
{
    const PlotTimeline *tl = w->tl;
    bool orphans = false;

    ev_begin(ev, "M", "process_name", EXPORT_CPU_PID, 0);
    g_string_append(ev, ",\"args\":{\"name\":\"CPUs\"}}");
    emit(w, ev);
    ev_begin(ev, "M", "process_sort_index", EXPORT_CPU_PID, 0);
    g_string_append(ev, ",\"args\":{\"sort_index\":0}}");
    emit(w, ev);
    for (int cpu = 0; cpu < tl->ncpus; cpu++) {
        char name[32];

        g_snprintf(name, sizeof name, "CPU %d", cpu);
        ev_begin(ev, "M", "thread_name", EXPORT_CPU_PID, EXPORT_CPU_TID_BASE + cpu);
        g_string_append(ev, ",\"args\":{\"name\":");
        json_str(ev, name);
        g_string_append(ev, "}}");
        emit(w, ev);
        ev_begin(ev, "M", "thread_sort_index", EXPORT_CPU_PID, EXPORT_CPU_TID_BASE + cpu);
        g_string_append_printf(ev, ",\"args\":{\"sort_index\":%d}}", cpu);
        emit(w, ev);
    }
    for (guint p = 0; p < tl->processes->len; p++) {
        const PlotProcess *pr = g_ptr_array_index(tl->processes, p);

        ev_begin(ev, "M", "process_name", 2 + (int)p, 0);
        g_string_append(ev, ",\"args\":{\"name\":");
        json_str(ev, pr->name);
        g_string_append(ev, "}}");
        emit(w, ev);
        ev_begin(ev, "M", "process_sort_index", 2 + (int)p, 0);
        g_string_append_printf(ev, ",\"args\":{\"sort_index\":%u}}", p + 1);
        emit(w, ev);
    }
    for (guint i = 0; i < tl->threads->len; i++) {
        const PlotThread *th = thread_at(tl, (int32_t)i);

        orphans |= th->process < 0;
        ev_begin(ev, "M", "thread_name", pid_of(tl, (int32_t)i), tid_of(tl, (int32_t)i));
        g_string_append(ev, ",\"args\":{\"name\":");
        json_str(ev, th->name);
        g_string_append(ev, "}}");
        emit(w, ev);
        ev_begin(ev, "M", "thread_sort_index", pid_of(tl, (int32_t)i), tid_of(tl, (int32_t)i));
        g_string_append_printf(ev, ",\"args\":{\"sort_index\":%u}}", i);
        emit(w, ev);
    }
    if (orphans) {
        ev_begin(ev, "M", "process_name", 2 + (int)tl->processes->len, 0);
        g_string_append(ev, ",\"args\":{\"name\":\"(no process)\"}}");
        emit(w, ev);
    }
}

static void
arg_state(GString *ev, const char *key, int32_t state)
{
    const char *name = nt_state_name(state);

    g_string_append_printf(ev, ",\"%s\":%d,\"%sName\":", key, (int)state, key);
    json_str(ev, name);
}

/* A slice per stretch a (non-idle) thread ran on a CPU. */
static void
cpu_slices(Writer *w, GString *ev)
{
    const PlotTimeline *tl = w->tl;

    for (guint i = 0; i < tl->runs->len; i++) {
        const PlotRun *r = &g_array_index(tl->runs, PlotRun, i);
        const PlotThread *th = thread_at(tl, r->thread);

        if (th->idle_cpu >= 0)
            continue;
        ev_begin(ev, "X", th->name, EXPORT_CPU_PID, EXPORT_CPU_TID_BASE + r->cpu);
        g_string_append(ev, ",\"cat\":\"cpu\",\"ts\":");
        json_us(ev, r->t0);
        g_string_append(ev, ",\"dur\":");
        json_us(ev, r->t1 - r->t0);
        g_string_append_printf(ev, ",\"args\":{\"NewThreadId\":%" PRId32, th->id);
        if (r->prev >= 0) {
            g_string_append_printf(ev, ",\"OldThreadId\":%" PRId32 ",\"OldThread\":", thread_at(tl, r->prev)->id);
            json_str(ev, thread_at(tl, r->prev)->name);
            if (r->prev_state >= 0)
                arg_state(ev, "OldThreadState", r->prev_state);
            if (r->prev_state == Waiting && r->prev_reason >= 0) {
                g_string_append_printf(ev, ",\"OldThreadWaitReason\":%d,\"OldThreadWaitReasonName\":",
                                       (int)r->prev_reason);
                json_str(ev, nt_wait_reason_name(r->prev_reason));
            }
        }
        g_string_append(ev, "}}");
        emit(w, ev);
    }
}

static const char *
routine_cat(int32_t kind)
{
    switch (kind) {
    case RtDpc: return "routine,dpc";
    case RtThreadBody: return "routine,thread";
    case RtSyscall: return "routine,syscall";
    default: return "routine,apc";
    }
}

/* A slice per routine execution, in the order they began. */
static void
routine_slices(Writer *w, GString *ev)
{
    const PlotTimeline *tl = w->tl;
    GString *name = g_string_new(NULL);

    for (guint i = 0; i < tl->routines->len; i++) {
        const PlotRoutine *r = &g_array_index(tl->routines, PlotRoutine, i);
        const char *kind = nt_routine_name(r->kind);
        const char *irql = nt_irql_name(r->irql);

        g_string_assign(name, r->kind == RtDpc ? "DPC" : kind);
        if (r->obj != -1) {
            g_string_append_c(name, ' ');
            g_string_append(name, plot_timeline_apc_name(tl, r->obj));
        }
        ev_begin(ev, "X", name->str, pid_of(tl, r->thread), tid_of(tl, r->thread));
        g_string_append_printf(ev, ",\"cat\":\"%s\",\"ts\":", routine_cat(r->kind));
        json_us(ev, r->t0);
        g_string_append(ev, ",\"dur\":");
        json_us(ev, r->t1 - r->t0);
        g_string_append(ev, ",\"args\":{\"routine\":");
        json_str(ev, kind);
        if (r->obj != -1) {
            g_string_append(ev, ",\"object\":");
            json_str(ev, plot_timeline_apc_name(tl, r->obj));
        }
        g_string_append_printf(ev, ",\"cpu\":%" PRId32 ",\"irql\":", r->cpu);
        if (irql)
            json_str(ev, irql);
        else
            g_string_append_printf(ev, "%" PRId32, r->irql);
        g_string_append(ev, ",\"mode\":");
        json_str(ev, nt_mode_name(r->mode));
        if (r->unfinished)
            g_string_append(ev, ",\"unfinished\":true");
        g_string_append(ev, "}}");
        emit(w, ev);
    }
    g_string_free(name, TRUE);
}

static void
irql_counters(Writer *w, GString *ev)
{
    const PlotTimeline *tl = w->tl;

    for (int cpu = 0; cpu < tl->ncpus; cpu++) {
        char name[32];

        g_snprintf(name, sizeof name, "IRQL CPU %d", cpu);
        for (guint i = 0; i < tl->irql->len; i++) {
            const PlotIrql *q = &g_array_index(tl->irql, PlotIrql, i);

            if (q->cpu != cpu)
                continue;
            ev_begin(ev, "C", name, EXPORT_CPU_PID, EXPORT_CPU_TID_BASE + cpu);
            g_string_append(ev, ",\"ts\":");
            json_us(ev, q->t);
            g_string_append_printf(ev, ",\"args\":{\"level\":%" PRId32 "}}", q->level);
            emit(w, ev);
        }
    }
}

static void
instants(Writer *w, GString *ev)
{
    const PlotTimeline *tl = w->tl;
    GString *name = g_string_new(NULL);

    for (guint i = 0; i < tl->instants->len; i++) {
        const PlotInstant *in = &g_array_index(tl->instants, PlotInstant, i);
        bool global = in->kind == PLOT_I_BUGCHECK || in->thread < 0;
        int pid = global ? EXPORT_CPU_PID : pid_of(tl, in->thread);
        int64_t tid = global ? 0 : tid_of(tl, in->thread);
        const char *irql;

        switch (in->kind) {
        case PLOT_I_INSERT:
            g_string_printf(name, "APC inserted: %s", plot_timeline_apc_name(tl, in->obj));
            break;
        case PLOT_I_MARK:
            g_string_assign(name, in->text ? in->text : "");
            break;
        default:
            g_string_printf(name, "BUGCHECK %s", in->text ? in->text : "");
            break;
        }
        ev_begin(ev, "i", name->str, pid, tid);
        g_string_append_printf(ev, ",\"s\":\"%s\",\"cat\":\"%s\",\"ts\":", global ? "g" : "t",
                               in->kind == PLOT_I_INSERT ? "apc" : in->kind == PLOT_I_MARK ? "mark" : "bugcheck");
        json_us(ev, in->t);
        g_string_append_printf(ev, ",\"args\":{\"cpu\":%" PRId32, in->cpu);
        switch (in->kind) {
        case PLOT_I_INSERT:
            /* APC_INSERT: a = state index, b = list (mode), c = position, d = increment */
            g_string_append(ev, ",\"apc\":");
            json_str(ev, plot_timeline_apc_name(tl, in->obj));
            g_string_append(ev, ",\"list\":");
            json_str(ev, nt_mode_name((int)in->b));
            g_string_append(ev, ",\"position\":");
            json_str(ev, nt_qpos_name((int)in->c));
            g_string_append_printf(ev, ",\"increment\":%" PRId64, in->d);
            break;
        case PLOT_I_MARK:
            /* MARK: a = IRQL, b = mode */
            irql = nt_irql_name((int)in->a);
            g_string_append(ev, ",\"irql\":");
            if (irql)
                json_str(ev, irql);
            else
                g_string_append_printf(ev, "%" PRId64, in->a);
            g_string_append(ev, ",\"mode\":");
            json_str(ev, nt_mode_name((int)in->b));
            break;
        default:
            g_string_append_printf(ev, ",\"code\":\"0x%08" PRIX32 "\",\"p1\":\"0x%" PRIX64 "\",\"p2\":\"0x%" PRIX64
                                   "\",\"p3\":\"0x%" PRIX64 "\",\"p4\":\"0x%" PRIX64 "\"",
                                   (uint32_t)in->obj, (uint64_t)in->a, (uint64_t)in->b, (uint64_t)in->c,
                                   (uint64_t)in->d);
            break;
        }
        g_string_append(ev, "}}");
        emit(w, ev);
    }
    g_string_free(name, TRUE);
}

static gint
cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The trace's meta rows (but the volatile_* ones), sorted by key. */
static void
other_data(Writer *w, GString *ev)
{
    guint n = 0;
    gpointer *keys = g_hash_table_get_keys_as_array(w->tl->meta, &n);

    qsort(keys, n, sizeof *keys, cmp_str);
    g_string_append(ev, "\"otherData\":{\"generator\":\"apcsim export\"");
    for (guint i = 0; i < n; i++) {
        const char *k = keys[i];

        if (g_str_has_prefix(k, "volatile_"))
            continue;
        g_string_append_c(ev, ',');
        json_str(ev, k);
        g_string_append_c(ev, ':');
        json_str(ev, g_hash_table_lookup(w->tl->meta, k));
    }
    g_string_append(ev, "},\n");
    g_free(keys);
}

static int
write_json(Writer *w, const char *out_name, GError **err)
{
    GString *ev = g_string_new(NULL);

    g_string_append(ev, "{\"displayTimeUnit\":\"ns\",\n");
    other_data(w, ev);
    g_string_append(ev, "\"traceEvents\":[");
    fwrite(ev->str, 1, ev->len, w->f);
    g_string_truncate(ev, 0);
    metadata(w, ev);
    cpu_slices(w, ev);
    routine_slices(w, ev);
    irql_counters(w, ev);
    instants(w, ev);
    fputs("\n]}\n", w->f);
    g_string_free(ev, TRUE);
    if (fflush(w->f) != 0 || ferror(w->f)) {
        int e = errno;

        g_set_error(err, PLOT_ERROR, PLOT_ERR_WRITE, "cannot write %s: %s", out_name, g_strerror(e));
        return PLOT_ERR_WRITE;
    }
    return 0;
}

/*
 * See export.h. Order: the trace is read completely before the output is
 * created, so a bad trace leaves nothing behind.
 */
int
export_chrome(const char *db, const char *out, GError **err)
{
    PlotTimeline *tl = NULL;
    Writer w = { .first = true };
    char *tmp = NULL;
    int code;

    g_return_val_if_fail(db != NULL && out != NULL, PLOT_ERR_USAGE);
    code = plot_timeline_load(db, &tl, err);
    if (code != 0)
        return code;
    w.tl = tl;
    bool in_place = false;
    char *target = strcmp(out, "-") == 0 ? NULL : plot_output_target(out, &in_place);

    if (!target) {
        w.f = stdout;
    } else {
        tmp = in_place ? NULL : g_strdup_printf("%s.tmp-%d", target, (int)getpid());
        w.f = g_fopen(tmp ? tmp : target, "wb");
        if (!w.f) {
            int e = errno;

            g_set_error(err, PLOT_ERROR, PLOT_ERR_WRITE, "cannot write %s: %s", out, g_strerror(e));
            g_free(tmp);
            g_free(target);
            plot_timeline_free(tl);
            return PLOT_ERR_WRITE;
        }
    }
    code = write_json(&w, target ? out : "standard output", err);
    if (target) {
        if (fclose(w.f) != 0 && code == 0) {
            int e = errno;

            g_set_error(err, PLOT_ERROR, PLOT_ERR_WRITE, "cannot write %s: %s", out, g_strerror(e));
            code = PLOT_ERR_WRITE;
        }
    }
    if (tmp) {
        code = plot_output_commit(tmp, target, out, code, err);
        g_free(tmp);
    }
    g_free(target);
    plot_timeline_free(tl);
    return code;
}
