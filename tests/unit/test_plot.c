/*
 * test_plot.c - the timeline model, the gnuplot chart and the Chrome JSON
 * export (src/trace/plot.c, export.c).
 *
 *   /plot/parse-time            --from/--to syntax.
 *   /plot/timeline              the model from a hand-written trace: runs with
 *                               the CSwitch facts (a wait before the switch, a
 *                               preemption after it), routines nested and
 *                               closed (an END that closes an inner routine
 *                               left open, an END with no BEGIN, a routine
 *                               open at the end), IRQL starting levels,
 *                               instants.
 *   /plot/golden/<scenario>     three scenarios run through the real Lua
 *                               runtime into a trace; the data files and the
 *                               script written for gnuplot must equal
 *                               tests/golden/plot/<scenario>/ byte for byte
 *                               (UPDATE_GOLDENS=1 rewrites them, deliberately);
 *                               then gnuplot draws a PNG and an SVG (skipped
 *                               without gnuplot). The pixels are never
 *                               compared.
 *   /plot/aggregate             a generated 16-CPU, 200-thread scenario: at
 *                               most PLOT_DETAIL_THREADS thread lanes plus one
 *                               lane per process, every thread accounted for,
 *                               mark labels in at most PLOT_MAX_MARK_ROWS rows.
 *   /plot/errors                exit statuses: no trace, bad name, unknown
 *                               thread, empty window, gnuplot missing or
 *                               failing (and no image left behind).
 *   /export/<scenario>          the JSON parses (a strict parser below), has
 *                               one slice per ROUTINE_BEGIN row, slices nest
 *                               properly in every lane, an IRQL counter per
 *                               CPU, one instant per APC_INSERT/MARK/BUGCHECK.
 *   /export/escaping            names and marks with quotes, backslashes,
 *                               control characters and invalid UTF-8 come
 *                               back from the JSON as written (U+FFFD for the
 *                               invalid bytes).
 *   /export/errors              bad trace, unwritable output.
 *
 * The tests chdir to the source tree (scenario paths are part of DPC names,
 * so they must be relative for the goldens to be the same on any machine).
 */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ke/ke.h"
#include "ke/ktrace.h"
#include "ke/ntdef.h"
#include "lua/runtime.h"
#include "trace/export.h"
#include "trace/plot.h"
#include "trace/store.h"
#include "testutil.h"

static const char *const golden_files[] = {
    "states.dat", "cpus.dat", "routines.dat", "irql.dat", "glyphs.dat", "texts.dat", "marks.dat",
    "leaders.dat", "plot.gp",
};

static const char *const golden_scenarios[] = {
    "quickstart", "io_completion_readfileex", "specials_jump_ahead",
};

/* ---- helpers ------------------------------------------------------------------ */

static char *
tmpdir_new(void)
{
    GError *err = NULL;
    char *dir = g_dir_make_tmp("apcsim-plot-test-XXXXXX", &err);

    g_assert_no_error(err);
    return dir;
}

/* Run a scenario (path relative to the source tree) into a finished trace,
 * with the meta rows `apcsim run` writes that the chart uses. */
static void
run_scenario(const char *scenario, const char *db)
{
    GError *err = NULL;
    TraceStore *ts = trace_store_open(db, &err);
    LuaRuntimeOptions opt = { .scenario = scenario, .seed = -1, .profile = -1, .max_events = -1 };
    char *setup_err = NULL, buf[64];
    LuaRuntime *rt;
    KMACHINE *m;
    KSTOP_REASON why;

    g_assert_no_error(err);
    opt.sink = trace_store_sink(ts);
    rt = lua_runtime_new(&opt, &setup_err);
    if (!rt)
        g_error("%s: %s", scenario, setup_err);
    m = lua_runtime_machine(rt);
    why = lua_runtime_run(rt);
    trace_store_meta(ts, "scenario", scenario);
    g_snprintf(buf, sizeof buf, "%" PRIu64, (uint64_t)m->cfg.seed);
    trace_store_meta(ts, "seed", buf);
    trace_store_meta(ts, "profile", ke_profile_name(m->cfg.profile));
    g_snprintf(buf, sizeof buf, "%d", m->ncpus);
    trace_store_meta(ts, "cpus", buf);
    g_snprintf(buf, sizeof buf, "%" PRId64, (int64_t)m->now);
    trace_store_meta(ts, "end_time_ns", buf);
    trace_store_meta(ts, "outcome", ke_stop_reason_name(why));
    g_assert_true(trace_store_finish(ts, &err));
    g_assert_no_error(err);
    lua_runtime_free(rt);
}

static gint64
count_rows(const char *db, int kind)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    gint64 n = -1;
    char *sql = g_strdup_printf("SELECT count(*) FROM event WHERE kind = %d", kind);

    g_assert_cmpint(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
    g_assert_cmpint(sqlite3_prepare_v2(h, sql, -1, &st, NULL), ==, SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    g_free(sql);
    return n;
}

static bool
have_gnuplot(void)
{
    char *p = g_find_program_in_path("gnuplot");
    bool ok = p != NULL;

    g_free(p);
    return ok;
}

/* PNG: the 8-byte signature and more than 5 KB; SVG: an <svg> root (a
 * well-formedness check of the XML is in tests/plot_test.sh, with python). */
static void
check_image(const char *path, bool svg)
{
    char *data = NULL;
    gsize len = 0;
    GError *err = NULL;

    g_assert_true(g_file_get_contents(path, &data, &len, &err));
    g_assert_no_error(err);
    if (svg) {
        g_assert_nonnull(strstr(data, "<svg"));
        g_assert_nonnull(strstr(data, "</svg>"));
    } else {
        g_assert_cmpuint(len, >, 5 * 1024);
        g_assert_cmpmem(data, 8, "\x89PNG\r\n\x1a\n", 8);
    }
    g_free(data);
}

/* ---- a strict JSON parser (RFC 8259), enough to check the export ---------------- */

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } JType;

typedef struct JVal {
    JType type;
    double num;
    bool b;
    char *str;
    GPtrArray *items;           /* J_ARR: JVal *; J_OBJ: values */
    GPtrArray *keys;            /* J_OBJ: char * */
} JVal;

typedef struct JParser {
    const char *p;
    const char *err;
} JParser;

static void
jval_free(gpointer v)
{
    JVal *j = v;

    if (!j)
        return;
    g_free(j->str);
    if (j->items)
        g_ptr_array_unref(j->items);
    if (j->keys)
        g_ptr_array_unref(j->keys);
    g_free(j);
}

static void
j_ws(JParser *P)
{
    while (*P->p == ' ' || *P->p == '\t' || *P->p == '\n' || *P->p == '\r')
        P->p++;
}

static int
hex4(const char *p)
{
    int v = 0;

    for (int i = 0; i < 4; i++) {
        int c = p[i], d;

        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static char *
j_string(JParser *P)
{
    GString *s = g_string_new(NULL);

    if (*P->p != '"') {
        P->err = "expected a string";
        return g_string_free(s, TRUE), NULL;
    }
    P->p++;
    for (;;) {
        unsigned char c = (unsigned char)*P->p;

        if (c == '"') {
            P->p++;
            return g_string_free(s, FALSE);
        }
        if (c < 0x20) {
            P->err = c ? "a control character in a string" : "an unterminated string";
            return g_string_free(s, TRUE), NULL;
        }
        if (c != '\\') {
            g_string_append_c(s, (char)c);
            P->p++;
            continue;
        }
        P->p++;
        switch (*P->p) {
        case '"': g_string_append_c(s, '"'); break;
        case '\\': g_string_append_c(s, '\\'); break;
        case '/': g_string_append_c(s, '/'); break;
        case 'b': g_string_append_c(s, '\b'); break;
        case 'f': g_string_append_c(s, '\f'); break;
        case 'n': g_string_append_c(s, '\n'); break;
        case 'r': g_string_append_c(s, '\r'); break;
        case 't': g_string_append_c(s, '\t'); break;
        case 'u': {
            int u = hex4(P->p + 1);

            if (u < 0) {
                P->err = "a bad \\u escape";
                return g_string_free(s, TRUE), NULL;
            }
            P->p += 4;
            if (u >= 0xD800 && u <= 0xDBFF) {
                int lo = P->p[1] == '\\' && P->p[2] == 'u' ? hex4(P->p + 3) : -1;

                if (lo < 0xDC00 || lo > 0xDFFF) {
                    P->err = "a lone surrogate";
                    return g_string_free(s, TRUE), NULL;
                }
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                P->p += 6;
            }
            g_string_append_unichar(s, (gunichar)u);
            break;
        }
        default:
            P->err = "a bad escape";
            return g_string_free(s, TRUE), NULL;
        }
        P->p++;
    }
}

static JVal *j_value(JParser *P);

static JVal *
j_number(JParser *P)
{
    const char *start = P->p;
    JVal *v;

    if (*P->p == '-')
        P->p++;
    if (*P->p == '0') {
        P->p++;
    } else if (*P->p >= '1' && *P->p <= '9') {
        while (g_ascii_isdigit(*P->p))
            P->p++;
    } else {
        P->err = "a bad number";
        return NULL;
    }
    if (*P->p == '.') {
        P->p++;
        if (!g_ascii_isdigit(*P->p)) {
            P->err = "a bad fraction";
            return NULL;
        }
        while (g_ascii_isdigit(*P->p))
            P->p++;
    }
    if (*P->p == 'e' || *P->p == 'E') {
        P->p++;
        if (*P->p == '+' || *P->p == '-')
            P->p++;
        if (!g_ascii_isdigit(*P->p)) {
            P->err = "a bad exponent";
            return NULL;
        }
        while (g_ascii_isdigit(*P->p))
            P->p++;
    }
    v = g_new0(JVal, 1);
    v->type = J_NUM;
    v->num = g_ascii_strtod(start, NULL);
    return v;
}

static JVal *
j_value(JParser *P)
{
    JVal *v;

    j_ws(P);
    switch (*P->p) {
    case '{':
        v = g_new0(JVal, 1);
        v->type = J_OBJ;
        v->items = g_ptr_array_new_with_free_func(jval_free);
        v->keys = g_ptr_array_new_with_free_func(g_free);
        P->p++;
        j_ws(P);
        if (*P->p == '}') {
            P->p++;
            return v;
        }
        for (;;) {
            char *k;
            JVal *item;

            j_ws(P);
            k = j_string(P);
            if (!k)
                break;
            j_ws(P);
            if (*P->p != ':') {
                g_free(k);
                P->err = "expected ':'";
                break;
            }
            P->p++;
            item = j_value(P);
            if (!item) {
                g_free(k);
                break;
            }
            g_ptr_array_add(v->keys, k);
            g_ptr_array_add(v->items, item);
            j_ws(P);
            if (*P->p == ',') {
                P->p++;
                continue;
            }
            if (*P->p == '}') {
                P->p++;
                return v;
            }
            P->err = "expected ',' or '}'";
            break;
        }
        jval_free(v);
        return NULL;
    case '[':
        v = g_new0(JVal, 1);
        v->type = J_ARR;
        v->items = g_ptr_array_new_with_free_func(jval_free);
        P->p++;
        j_ws(P);
        if (*P->p == ']') {
            P->p++;
            return v;
        }
        for (;;) {
            JVal *item = j_value(P);

            if (!item)
                break;
            g_ptr_array_add(v->items, item);
            j_ws(P);
            if (*P->p == ',') {
                P->p++;
                continue;
            }
            if (*P->p == ']') {
                P->p++;
                return v;
            }
            P->err = "expected ',' or ']'";
            break;
        }
        jval_free(v);
        return NULL;
    case '"':
        v = g_new0(JVal, 1);
        v->type = J_STR;
        v->str = j_string(P);
        if (!v->str) {
            jval_free(v);
            return NULL;
        }
        return v;
    case 't': case 'f': case 'n': {
        static const char *const lit[3] = { "true", "false", "null" };

        for (int i = 0; i < 3; i++) {
            if (strncmp(P->p, lit[i], strlen(lit[i])) == 0) {
                P->p += strlen(lit[i]);
                v = g_new0(JVal, 1);
                v->type = i == 2 ? J_NULL : J_BOOL;
                v->b = i == 0;
                return v;
            }
        }
        P->err = "a bad literal";
        return NULL;
    }
    default:
        return j_number(P);
    }
}

/* Parse a whole document; NULL and a message on error. */
static JVal *
json_parse(const char *text, char **why)
{
    JParser P = { .p = text };
    JVal *v;

    if (!g_utf8_validate(text, -1, NULL)) {
        *why = g_strdup("not UTF-8");
        return NULL;
    }
    v = j_value(&P);
    if (v) {
        j_ws(&P);
        if (*P.p) {
            jval_free(v);
            v = NULL;
            P.err = "text after the document";
        }
    }
    if (!v)
        *why = g_strdup_printf("%s at offset %td", P.err ? P.err : "?", P.p - text);
    return v;
}

static JVal *
jget(const JVal *obj, const char *key)
{
    if (!obj || obj->type != J_OBJ)
        return NULL;
    for (guint i = 0; i < obj->keys->len; i++)
        if (strcmp(g_ptr_array_index(obj->keys, i), key) == 0)
            return g_ptr_array_index(obj->items, i);
    return NULL;
}

static const char *
jstr(const JVal *obj, const char *key)
{
    JVal *v = jget(obj, key);

    return v && v->type == J_STR ? v->str : NULL;
}

static bool
jnum(const JVal *obj, const char *key, double *out)
{
    JVal *v = jget(obj, key);

    if (!v || v->type != J_NUM)
        return false;
    *out = v->num;
    return true;
}

/* A timestamp in µs with at most three decimals, as ns. */
static int64_t
us_to_ns(double us)
{
    double ns = us * 1000.0;
    int64_t r = (int64_t)llround(ns);

    g_assert_cmpfloat(fabs(ns - (double)r), <, 1e-3);
    return r;
}

static JVal *
export_and_parse(const char *db, const char *json)
{
    GError *err = NULL;
    char *text = NULL, *why = NULL;
    JVal *doc;

    g_assert_cmpint(export_chrome(db, json, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_true(g_file_get_contents(json, &text, NULL, &err));
    doc = json_parse(text, &why);
    if (!doc)
        g_error("%s does not parse: %s", json, why);
    g_free(text);
    return doc;
}

typedef struct Slice {
    int64_t t0, t1;
    guint order;
} Slice;

static gint
cmp_slice(gconstpointer pa, gconstpointer pb)
{
    const Slice *a = pa, *b = pb;

    if (a->t0 != b->t0)
        return a->t0 < b->t0 ? -1 : 1;
    if (a->t1 != b->t1)
        return a->t1 > b->t1 ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

/* In every lane, any two slices are disjoint or one lies within the other. */
static void
check_nesting(GHashTable *lanes, const char *what)
{
    GHashTableIter it;
    gpointer key, value;

    g_hash_table_iter_init(&it, lanes);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        GArray *sl = value;
        GArray *stack = g_array_new(FALSE, FALSE, sizeof(Slice));

        g_array_sort(sl, cmp_slice);
        for (guint i = 0; i < sl->len; i++) {
            Slice s = g_array_index(sl, Slice, i);

            while (stack->len) {
                Slice top = g_array_index(stack, Slice, stack->len - 1);

                if (top.t0 <= s.t0 && s.t1 <= top.t1)
                    break;
                if (top.t1 > s.t0)
                    g_error("%s: lane %s: slice [%" PRId64 ", %" PRId64 "] overlaps [%" PRId64 ", %" PRId64 "]",
                            what, (char *)key, s.t0, s.t1, top.t0, top.t1);
                g_array_set_size(stack, stack->len - 1);
            }
            g_array_append_val(stack, s);
        }
        g_array_unref(stack);
    }
}

/* The checks of /export/<scenario>. */
static void
check_export(const char *db, const char *json)
{
    JVal *doc = export_and_parse(db, json), *events;
    GHashTable *lanes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_array_unref);
    GHashTable *counters = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    gint64 routines = 0, instants = 0, cpu_slices = 0;
    PlotTimeline *tl = NULL;
    GError *err = NULL;

    g_assert_cmpint(plot_timeline_load(db, &tl, &err), ==, 0);
    events = jget(doc, "traceEvents");
    g_assert_nonnull(events);
    g_assert_cmpint(events->type, ==, J_ARR);
    g_assert_nonnull(jget(doc, "otherData"));
    g_assert_cmpstr(jstr(doc, "displayTimeUnit"), ==, "ns");
    for (guint i = 0; i < events->items->len; i++) {
        const JVal *ev = g_ptr_array_index(events->items, i);
        const char *ph = jstr(ev, "ph"), *cat = jstr(ev, "cat"), *name = jstr(ev, "name");
        double pid, tid, ts, dur;

        g_assert_nonnull(ph);
        g_assert_nonnull(name);
        g_assert_true(jnum(ev, "pid", &pid));
        g_assert_true(jnum(ev, "tid", &tid));
        if (strcmp(ph, "M") == 0) {
            g_assert_nonnull(jget(ev, "args"));
            g_assert_cmpint(jget(ev, "args")->type, ==, J_OBJ);
            continue;
        }
        g_assert_true(jnum(ev, "ts", &ts));
        if (strcmp(ph, "X") == 0) {
            char *lane = g_strdup_printf("%.0f/%.0f", pid, tid);
            GArray *sl = g_hash_table_lookup(lanes, lane);
            Slice s;

            g_assert_true(jnum(ev, "dur", &dur));
            g_assert_cmpfloat(dur, >=, 0);
            s.t0 = us_to_ns(ts);
            s.t1 = s.t0 + us_to_ns(dur);
            s.order = i;
            if (!sl) {
                sl = g_array_new(FALSE, FALSE, sizeof(Slice));
                g_hash_table_insert(lanes, g_strdup(lane), sl);
            }
            g_array_append_val(sl, s);
            g_free(lane);
            g_assert_nonnull(cat);
            if (g_str_has_prefix(cat, "routine"))
                routines++;
            else if (strcmp(cat, "cpu") == 0)
                cpu_slices++;
        } else if (strcmp(ph, "C") == 0) {
            g_assert_nonnull(jget(jget(ev, "args"), "level"));
            g_hash_table_replace(counters, g_strdup(name), NULL);
        } else if (strcmp(ph, "i") == 0) {
            g_assert_nonnull(jstr(ev, "s"));
            instants++;
        } else {
            g_error("unexpected ph %s", ph);
        }
    }
    g_assert_cmpint(routines, ==, count_rows(db, TR_ROUTINE_BEGIN));
    g_assert_cmpint(instants, ==, count_rows(db, TR_APC_INSERT) + count_rows(db, TR_MARK) +
                                  count_rows(db, TR_BUGCHECK));
    g_assert_cmpint(g_hash_table_size(counters), ==, tl->ncpus);
    {
        gint64 want = 0;

        for (guint i = 0; i < tl->runs->len; i++) {
            const PlotRun *r = &g_array_index(tl->runs, PlotRun, i);

            want += ((PlotThread *)g_ptr_array_index(tl->threads, r->thread))->idle_cpu < 0;
        }
        g_assert_cmpint(cpu_slices, ==, want);
    }
    check_nesting(lanes, json);
    plot_timeline_free(tl);
    g_hash_table_unref(counters);
    g_hash_table_unref(lanes);
    jval_free(doc);
}

/* ---- a hand-written trace -------------------------------------------------------- */

typedef struct Fake {
    GArray *recs;               /* KTRACE_RECORD (text: string literals) */
} Fake;

static void
rec(Fake *f, int64_t t, int kind, int cpu, int thread, int obj, int64_t a, int64_t b, int64_t c,
    const char *text)
{
    KTRACE_RECORD r = { .t = t, .kind = kind, .cpu = cpu, .thread = thread, .obj = obj,
                        .a = a, .b = b, .c = c, .text = text };

    g_array_append_val(f->recs, r);
}

/*
 * Two CPUs, a process "app \"x\"" with threads 10 (A) and 11 (B), idle
 * threads 0 and 1:
 *   0     idle threads run; A and B created; A switched in on CPU 0
 *   0     A: ThreadBody begins; an APC (id 100) is inserted to A
 *   100   A: KernelRoutine of 100 begins (IRQL 0 -> 1 on CPU 0)
 *   150   A: NormalRoutine of 100 begins inside, never ends; KernelRoutine
 *         ends at 180 and closes it (unfinished)
 *   200   A waits (state first, then the switch: prev_state Waiting/UserRequest)
 *   200   B switched in on CPU 0; a mark with awkward text on B
 *   300   B preempted by A (switch first, then B's state: prev_state Ready)
 *   300   an END with no BEGIN on A (ignored)
 *   400   a DPC (id 200) on CPU 1 in Idle/1's context, zero time
 *   500   end; A's ThreadBody still open (unfinished)
 */
static void
write_fake(const char *path)
{
    static const char *const weird = "q\"uo\\te\nnl\ttab\x01 \xff\xfe `echo hi` end";
    Fake f = { .recs = g_array_new(FALSE, FALSE, sizeof(KTRACE_RECORD)) };
    GError *err = NULL;
    TraceStore *ts = trace_store_open(path, &err);
    KTRACE_SINK sink;

    g_assert_no_error(err);
    rec(&f, 0, TR_RUN_BEGIN, -1, -1, -1, 2, 1, 15625000, "nt52");
    rec(&f, 0, TR_PROCESS_CREATE, -1, -1, 1, 0, 0, 0, NULL);
    {
        KTRACE_RECORD r = { .t = 0, .kind = TR_THREAD_CREATE, .cpu = -1, .thread = 0, .obj = 0,
                            .a = 1, .d = 1, .e = 0 };

        g_array_append_val(f.recs, r);
        r.thread = r.obj = 1;
        r.e = 1;
        g_array_append_val(f.recs, r);
    }
    rec(&f, 0, TR_THREAD_STATE, 0, 0, -1, Initialized, Running, 0, NULL);
    rec(&f, 0, TR_THREAD_STATE, 1, 1, -1, Initialized, Running, 0, NULL);
    rec(&f, 0, TR_PROCESS_CREATE, -1, -1, 2, 0, 0, 0, NULL);
    {
        KTRACE_RECORD r = { .t = 0, .kind = TR_THREAD_CREATE, .cpu = -1, .thread = 10, .obj = 10,
                            .a = 2, .b = 8, .c = 1, .e = -1 };

        g_array_append_val(f.recs, r);
        r.thread = r.obj = 11;
        g_array_append_val(f.recs, r);
    }
    rec(&f, 0, TR_THREAD_STATE, 0, 10, -1, Initialized, Ready, 0, NULL);
    rec(&f, 0, TR_THREAD_STATE, 0, 11, -1, Initialized, Ready, 0, NULL);
    rec(&f, 0, TR_CONTEXT_SWITCH, 0, 10, -1, 0, 10, 2, NULL);
    rec(&f, 0, TR_THREAD_STATE, 0, 0, -1, Running, Ready, 0, NULL);
    rec(&f, 0, TR_THREAD_STATE, 0, 10, -1, Ready, Running, 0, NULL);
    rec(&f, 0, TR_ROUTINE_BEGIN, 0, 10, -1, RtThreadBody, 0, 1, NULL);
    rec(&f, 0, TR_APC_INSERT, 1, 10, 100, 0, 0, 0, NULL);
    rec(&f, 100, TR_IRQL, 0, 10, -1, 0, 1, 0, NULL);
    rec(&f, 100, TR_ROUTINE_BEGIN, 0, 10, 100, RtKernelRoutine, 1, 0, NULL);
    rec(&f, 150, TR_ROUTINE_BEGIN, 0, 10, 100, RtNormalRoutine, 0, 0, NULL);
    rec(&f, 180, TR_ROUTINE_END, 0, 10, 100, RtKernelRoutine, 1, 0, NULL);
    rec(&f, 180, TR_IRQL, 0, 10, -1, 1, 0, 0, NULL);
    rec(&f, 200, TR_THREAD_STATE, 0, 10, -1, Running, Waiting, UserRequest, NULL);
    rec(&f, 200, TR_CONTEXT_SWITCH, 0, 11, -1, 10, 11, 0, NULL);
    rec(&f, 200, TR_THREAD_STATE, 0, 11, -1, Ready, Running, 0, NULL);
    rec(&f, 250, TR_MARK, 0, 11, -1, 0, 1, 0, weird);
    rec(&f, 300, TR_THREAD_STATE, 0, 10, -1, Waiting, Ready, 0, NULL);
    rec(&f, 300, TR_CONTEXT_SWITCH, 0, 10, -1, 11, 10, 0, NULL);
    rec(&f, 300, TR_THREAD_STATE, 0, 11, -1, Running, Ready, 0, NULL);
    rec(&f, 300, TR_THREAD_STATE, 0, 10, -1, Ready, Running, 0, NULL);
    rec(&f, 300, TR_ROUTINE_END, 0, 10, 999, RtKernelRoutine, 1, 0, NULL);
    rec(&f, 400, TR_IRQL, 1, 1, -1, 0, 2, 0, NULL);
    rec(&f, 400, TR_ROUTINE_BEGIN, 1, 1, 200, RtDpc, 2, 0, NULL);
    rec(&f, 400, TR_ROUTINE_END, 1, 1, 200, RtDpc, 2, 0, NULL);
    rec(&f, 400, TR_IRQL, 1, 1, -1, 2, 0, 0, NULL);
    rec(&f, 500, TR_RUN_END, -1, -1, -1, 1, 0, 0, "done");

    trace_store_meta(ts, "scenario", "fake/hand-written.lua");
    trace_store_meta(ts, "cpus", "2");
    sink = trace_store_sink(ts);
    sink.name(sink.ctx, "process", 1, "System");
    sink.name(sink.ctx, "process", 2, "app \"x\"");
    sink.name(sink.ctx, "thread", 0, "Idle/0");
    sink.name(sink.ctx, "thread", 1, "Idle/1");
    sink.name(sink.ctx, "thread", 10, "A\\\"quoted\"");
    sink.name(sink.ctx, "thread", 11, weird);
    sink.name(sink.ctx, "apc", 100, "apc<1>");
    for (guint i = 0; i < f.recs->len; i++)
        sink.emit(sink.ctx, &g_array_index(f.recs, KTRACE_RECORD, i));
    g_assert_true(trace_store_finish(ts, &err));
    g_assert_no_error(err);
    g_array_unref(f.recs);
}

/* ---- tests ------------------------------------------------------------------------ */

static void
test_parse_time(void)
{
    static const struct { const char *s; int64_t ns; } ok[] = {
        { "0", 0 }, { "250", 250 }, { "250ns", 250 }, { "500us", 500000 }, { "500\xc2\xb5s", 500000 },
        { "3ms", 3000000 }, { "1s", 1000000000 }, { "1.5ms", 1500000 }, { "0.0005s", 500000 },
        { "12.3456us", 12346 },
    };
    static const char *const bad[] = { "", "ms", "-1ms", "3 ms", "3m", "1e99s", "abc", "3msx", "nan" };

    for (size_t i = 0; i < G_N_ELEMENTS(ok); i++) {
        int64_t v = -1;
        GError *err = NULL;

        g_assert_true(plot_parse_time(ok[i].s, &v, &err));
        g_assert_no_error(err);
        g_assert_cmpint(v, ==, ok[i].ns);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        int64_t v = -1;
        GError *err = NULL;

        g_assert_false(plot_parse_time(bad[i], &v, &err));
        g_assert_error(err, PLOT_ERROR, PLOT_ERR_USAGE);
        g_assert_nonnull(strstr(err->message, "is not a time"));
        g_error_free(err);
    }
}

static int32_t
thread_ix(const PlotTimeline *tl, int32_t id)
{
    for (guint i = 0; i < tl->threads->len; i++)
        if (((PlotThread *)g_ptr_array_index(tl->threads, i))->id == id)
            return (int32_t)i;
    g_assert_not_reached();
    return -1;
}

static void
test_timeline(void)
{
    char *dir = tmpdir_new(), *db = g_build_filename(dir, "fake.db", NULL);
    PlotTimeline *tl = NULL;
    GError *err = NULL;
    int32_t a, b;
    int seen_run_b = 0, seen_run_a2 = 0;

    write_fake(db);
    g_assert_cmpint(plot_timeline_load(db, &tl, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpint(tl->ncpus, ==, 2);
    g_assert_cmpint(tl->t_end, ==, 500);
    g_assert_true(tl->complete);
    a = thread_ix(tl, 10);
    b = thread_ix(tl, 11);
    g_assert_cmpstr(((PlotThread *)g_ptr_array_index(tl->threads, a))->name, ==, "A\\\"quoted\"");
    g_assert_cmpint(((PlotThread *)g_ptr_array_index(tl->threads, thread_ix(tl, 1)))->idle_cpu, ==, 1);

    for (guint i = 0; i < tl->runs->len; i++) {
        const PlotRun *r = &g_array_index(tl->runs, PlotRun, i);

        if (r->thread == b) {
            /* A waited before the switch: its state is known at the switch. */
            g_assert_cmpint(r->t0, ==, 200);
            g_assert_cmpint(r->t1, ==, 300);
            g_assert_cmpint(r->prev, ==, a);
            g_assert_cmpint(r->prev_state, ==, Waiting);
            g_assert_cmpint(r->prev_reason, ==, UserRequest);
            seen_run_b++;
        } else if (r->thread == a && r->t0 == 300) {
            /* B was preempted: its state came after the switch. */
            g_assert_cmpint(r->t1, ==, 500);
            g_assert_cmpint(r->prev, ==, b);
            g_assert_cmpint(r->prev_state, ==, Ready);
            g_assert_cmpint(r->prev_reason, ==, -1);
            seen_run_a2++;
        }
    }
    g_assert_cmpint(seen_run_b, ==, 1);
    g_assert_cmpint(seen_run_a2, ==, 1);

    /* Routines: ThreadBody (open at the end), KR, NR (closed by KR's END),
     * the DPC; the END with no BEGIN is ignored. */
    g_assert_cmpuint(tl->routines->len, ==, 4);
    {
        const PlotRoutine *body = &g_array_index(tl->routines, PlotRoutine, 0);
        const PlotRoutine *kr = &g_array_index(tl->routines, PlotRoutine, 1);
        const PlotRoutine *nr = &g_array_index(tl->routines, PlotRoutine, 2);
        const PlotRoutine *dpc = &g_array_index(tl->routines, PlotRoutine, 3);

        g_assert_cmpint(body->kind, ==, RtThreadBody);
        g_assert_cmpint(body->t1, ==, 500);
        g_assert_true(body->unfinished);
        g_assert_cmpint(kr->parent, ==, 0);
        g_assert_cmpint(kr->depth, ==, 1);
        g_assert_cmpint(kr->t0, ==, 100);
        g_assert_cmpint(kr->t1, ==, 180);
        g_assert_false(kr->unfinished);
        g_assert_cmpint(nr->parent, ==, 1);
        g_assert_cmpint(nr->t1, ==, 180);
        g_assert_true(nr->unfinished);
        g_assert_cmpint(dpc->kind, ==, RtDpc);
        g_assert_cmpint(dpc->thread, ==, thread_ix(tl, 1));
        g_assert_cmpint(dpc->t0, ==, 400);
        g_assert_cmpint(dpc->t1, ==, 400);
    }

    /* IRQL: each CPU starts with the level before its first change. */
    {
        int first[2] = { -1, -1 };

        for (guint i = 0; i < tl->irql->len; i++) {
            const PlotIrql *q = &g_array_index(tl->irql, PlotIrql, i);

            if (first[q->cpu] < 0) {
                g_assert_cmpint(q->t, ==, 0);
                g_assert_cmpint(q->level, ==, 0);
                first[q->cpu] = 1;
            }
        }
        g_assert_cmpint(first[0], ==, 1);
        g_assert_cmpint(first[1], ==, 1);
    }
    g_assert_cmpuint(tl->instants->len, ==, 2);
    g_assert_cmpint(g_array_index(tl->instants, PlotInstant, 0).kind, ==, PLOT_I_INSERT);
    g_assert_cmpint(g_array_index(tl->instants, PlotInstant, 0).thread, ==, a);
    g_assert_cmpint(g_array_index(tl->instants, PlotInstant, 1).kind, ==, PLOT_I_MARK);

    /* States: A Ready for no time (dropped), Running 0-200, Waiting 200-300, ... */
    {
        bool saw_wait = false;

        for (guint i = 0; i < tl->states->len; i++) {
            const PlotState *s = &g_array_index(tl->states, PlotState, i);

            g_assert_cmpint(s->t1, >, s->t0);
            if (s->thread == a && s->state == Waiting) {
                g_assert_cmpint(s->t0, ==, 200);
                g_assert_cmpint(s->t1, ==, 300);
                g_assert_cmpint(s->reason, ==, UserRequest);
                saw_wait = true;
            }
        }
        g_assert_true(saw_wait);
    }
    plot_timeline_free(tl);

    /* The chart of it is drawn (awkward names included). */
    if (have_gnuplot()) {
        char *png = g_build_filename(dir, "fake.png", NULL);
        char *svg = g_build_filename(dir, "fake.svg", NULL);

        g_assert_cmpint(plot_trace(db, png, NULL, &err), ==, 0);
        g_assert_no_error(err);
        g_assert_no_error(err);
        g_assert_cmpint(plot_trace(db, svg, NULL, &err), ==, 0);
        g_assert_no_error(err);
        check_image(png, false);
        check_image(svg, true);
        g_free(png);
        g_free(svg);
    }
    test_rm_rf(dir);
    g_free(dir);
    g_free(db);
}

/* First line where two texts differ, for a readable failure. */
static char *
first_difference(const char *want, const char *got)
{
    char **w = g_strsplit(want, "\n", -1), **g = g_strsplit(got, "\n", -1);
    char *msg = NULL;
    guint i;

    for (i = 0; w[i] && g[i]; i++) {
        if (strcmp(w[i], g[i]) != 0) {
            msg = g_strdup_printf("line %u:\n  golden: %s\n  now:    %s", i + 1, w[i], g[i]);
            break;
        }
    }
    if (!msg)
        msg = g_strdup_printf("line %u: one of them ends there", i + 1);
    g_strfreev(w);
    g_strfreev(g);
    return msg;
}

static void
test_golden(gconstpointer data)
{
    const char *name = data;
    char *dir = tmpdir_new();
    char *scenario = g_strdup_printf("scenarios/%s.lua", name);
    char *db = g_build_filename(dir, "t.db", NULL), *keep = g_build_filename(dir, "data", NULL);
    char *golden = g_build_filename("tests", "golden", "plot", name, NULL);
    bool update = g_strcmp0(g_getenv("UPDATE_GOLDENS"), "1") == 0;
    PlotOptions opt;
    GError *err = NULL;

    run_scenario(scenario, db);
    plot_options_init(&opt);
    opt.keep_data = keep;
    opt.data_only = true;
    g_assert_cmpint(plot_trace(db, "chart.png", &opt, &err), ==, 0);
    g_assert_no_error(err);

    if (update)
        g_assert_cmpint(g_mkdir_with_parents(golden, 0755), ==, 0);
    for (size_t i = 0; i < G_N_ELEMENTS(golden_files); i++) {
        char *got_path = g_build_filename(keep, golden_files[i], NULL);
        char *want_path = g_build_filename(golden, golden_files[i], NULL);
        char *got = NULL, *want = NULL;

        g_assert_true(g_file_get_contents(got_path, &got, NULL, &err));
        g_assert_no_error(err);
        if (update) {
            g_assert_true(g_file_set_contents(want_path, got, -1, &err));
            g_assert_no_error(err);
            g_test_message("updated %s", want_path);
        } else if (!g_file_get_contents(want_path, &want, NULL, NULL)) {
            g_test_message("%s is missing (make the goldens with UPDATE_GOLDENS=1)", want_path);
            g_test_fail();
        } else if (strcmp(want, got) != 0) {
            char *diff = first_difference(want, got);

            g_test_message("%s differs from %s at %s\n(if the change is intended: UPDATE_GOLDENS=1 %s)",
                           got_path, want_path, diff, g_get_prgname());
            g_free(diff);
            g_test_fail();
        }
        g_free(got);
        g_free(want);
        g_free(got_path);
        g_free(want_path);
    }

    /* The same trace gives the same files (a second run, another directory). */
    {
        char *keep2 = g_build_filename(dir, "data2", NULL), *a = NULL, *b = NULL;

        opt.keep_data = keep2;
        g_assert_cmpint(plot_trace(db, "chart.png", &opt, &err), ==, 0);
        for (size_t i = 0; i < G_N_ELEMENTS(golden_files); i++) {
            char *pa = g_build_filename(keep, golden_files[i], NULL), *pb = g_build_filename(keep2, golden_files[i], NULL);

            g_assert_true(g_file_get_contents(pa, &a, NULL, NULL));
            g_assert_true(g_file_get_contents(pb, &b, NULL, NULL));
            g_assert_cmpstr(a, ==, b);
            g_free(a);
            g_free(b);
            g_free(pa);
            g_free(pb);
        }
        g_free(keep2);
    }

    if (have_gnuplot()) {
        char *png = g_build_filename(dir, "chart.png", NULL), *svg = g_build_filename(dir, "chart.svg", NULL);

        g_assert_cmpint(plot_trace(db, png, NULL, &err), ==, 0);
        g_assert_no_error(err);
        g_assert_cmpint(plot_trace(db, svg, NULL, &err), ==, 0);
        g_assert_no_error(err);
        check_image(png, false);
        check_image(svg, true);
        g_free(png);
        g_free(svg);
    } else {
        g_test_message("gnuplot not on PATH: the images were not drawn");
    }
    test_rm_rf(dir);
    g_free(dir);
    g_free(scenario);
    g_free(db);
    g_free(keep);
    g_free(golden);
}

/* A 16-CPU machine with 200 threads in 4 processes: workers compute and
 * sleep alertably, DPCs queue user and kernel APCs to them, some mark. */
static const char big_scenario[] =
    "machine { cpus = 16, seed = 7 }\n"
    "local procs = {}\n"
    "for i = 1, 4 do procs[i] = process { name = 'proc' .. i .. '.exe' } end\n"
    "local threads = {}\n"
    "for i = 1, 200 do\n"
    "  threads[i] = thread { name = string.format('w%03d', i), process = procs[(i % 4) + 1],\n"
    "    priority = 6 + (i % 5), start_at = us((i * 7) % 300), body = function()\n"
    "      for k = 1, 4 do compute(us(20 + (i * 13 + k * 7) % 90)); SleepEx((i + k) % 3, true) end\n"
    "      if i % 10 == 0 then mark('worker ' .. i .. ' done') end\n"
    "    end }\n"
    "end\n"
    "for j = 1, 60 do\n"
    "  at(us(100 + j * 37), function()\n"
    "    QueueUserAPC(function(ctx) compute(us(15)) end, threads[(j * 17) % 200 + 1], j)\n"
    "  end, { cpu = j % 16 })\n"
    "end\n"
    "for j = 1, 30 do\n"
    "  at(us(150 + j * 61), function()\n"
    "    KeInsertQueueApc(KeInitializeApc { thread = threads[(j * 29) % 200 + 1], name = 'kapc' .. j,\n"
    "      kernel_routine = function() compute(us(3)) end })\n"
    "  end, { cpu = (j * 3) % 16 })\n"
    "end\n";

/* Dense columns: at t = 0 one thread steps its IRQL 40 times (80 steps
 * in one pixel column) and 30 threads run 10 ns each (30 narrow boxes
 * starting in one column); then one thread computes for 1 ms. */
static const char dense_scenario[] =
    "machine { cpus = 1 }\n"
    "thread { name = 'stepper', system = true, priority = 20, body = function()\n"
    "  for i = 1, 40 do KeRaiseIrql(DISPATCH_LEVEL); KeLowerIrql(PASSIVE_LEVEL) end\n"
    "end }\n"
    "for i = 1, 30 do thread { name = 'short' .. i, system = true, priority = 10, body = function()\n"
    "  compute(10) end } end\n"
    "thread { name = 'long', system = true, priority = 5, body = function() compute(ms(1)) end }\n";

/* Lines of a data file that are not comments or blank. */
static GPtrArray *
data_rows(const char *path)
{
    GPtrArray *rows = g_ptr_array_new_with_free_func(g_free);
    char *text = NULL;

    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    char **lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++)
        if (**l && **l != '#')
            g_ptr_array_add(rows, g_strdup(*l));
    g_strfreev(lines);
    g_free(text);
    return rows;
}

/* A column of many IRQL steps is written as five points that keep its
 * lowest and highest level and where it ends; narrow CPU boxes that start
 * in one column are written as the last of them (it covers the others). */
static void
test_dense(void)
{
    char *dir = tmpdir_new();
    char *lua = g_build_filename(dir, "dense.lua", NULL), *db = g_build_filename(dir, "dense.db", NULL);
    char *keep = g_build_filename(dir, "data", NULL);
    char *irql = g_build_filename(keep, "irql.dat", NULL), *cpus = g_build_filename(keep, "cpus.dat", NULL);
    PlotOptions opt;
    GError *err = NULL;

    g_assert_true(g_file_set_contents(lua, dense_scenario, -1, &err));
    run_scenario(lua, db);
    plot_options_init(&opt);
    opt.keep_data = keep;
    opt.data_only = true;
    g_assert_cmpint(plot_trace(db, "dense.png", &opt, &err), ==, 0);
    g_assert_no_error(err);

    /* irql.dat: the steps of the first column (the stepper's 80 and the
     * switches to the short threads, all in the first 300 ns) are five rows:
     * first, lowest, highest at the first's time, lowest and last at the
     * last's; then the end */
    GPtrArray *rows = data_rows(irql);
    guint first_col = 0;
    bool saw_dispatch = false, saw_passive = false;
    for (guint i = 0; i < rows->len; i++) {
        const char *r = g_ptr_array_index(rows, i);
        if (g_ascii_strtoll(r, NULL, 10) < 1000) {
            first_col++;
            saw_dispatch |= g_str_has_suffix(r, " 2");
            saw_passive |= g_str_has_suffix(r, " 0");
        }
    }
    g_assert_cmpuint(first_col, ==, 5);
    g_assert_true(saw_dispatch && saw_passive);
    g_assert_true(g_str_has_prefix(g_ptr_array_index(rows, 0), "0 "));
    g_assert_true(g_str_has_suffix(g_ptr_array_index(rows, 2), " 2"));   /* the highest: DISPATCH_LEVEL */
    g_assert_true(g_str_has_suffix(g_ptr_array_index(rows, 4), " 0"));   /* it ends at PASSIVE */
    g_ptr_array_unref(rows);

    /* cpus.dat: the 30 short runs and the stepper start in the first column:
     * one narrow row is left for them, the last (short30); 'long' is wide */
    rows = data_rows(cpus);
    guint narrow = 0;
    bool last_short = false, has_long = false;
    for (guint i = 0; i < rows->len; i++) {
        const char *r = g_ptr_array_index(rows, i);
        if (strstr(r, "\"short") || strstr(r, "\"stepper\"")) {
            narrow++;
            last_short = strstr(r, "\"short30\"") != NULL;
        }
        has_long |= strstr(r, "\"long\"") != NULL;
    }
    g_assert_cmpuint(narrow, ==, 1);
    g_assert_true(last_short);
    g_assert_true(has_long);
    g_ptr_array_unref(rows);

    test_rm_rf(dir);
    g_free(dir);
    g_free(lua);
    g_free(db);
    g_free(keep);
    g_free(irql);
    g_free(cpus);
}

/* The lane labels of a plot.gp (its `set ytics (...)` list). */
static GPtrArray *
script_lanes(const char *script)
{
    GPtrArray *labels = g_ptr_array_new_with_free_func(g_free);
    const char *p = strstr(script, "set ytics scale 0");

    g_assert_nonnull(p);
    p = strchr(p, '(');
    g_assert_nonnull(p);
    while (*p && *p != '\n') {
        const char *q = strchr(p, '\'');

        if (!q || strchr(p, '\n') < q)
            break;
        const char *e = strchr(q + 1, '\'');

        g_assert_nonnull(e);
        g_ptr_array_add(labels, g_strndup(q + 1, (gsize)(e - q - 1)));
        p = e + 1;
    }
    return labels;
}

static void
test_aggregate(void)
{
    char *dir = tmpdir_new();
    char *lua = g_build_filename(dir, "big16x200.lua", NULL), *db = g_build_filename(dir, "big.db", NULL);
    char *keep = g_build_filename(dir, "data", NULL), *gp = g_build_filename(keep, "plot.gp", NULL);
    char *script = NULL, *json = g_build_filename(dir, "big.json", NULL);
    GPtrArray *labels;
    PlotOptions opt;
    GError *err = NULL;
    int threads = 0, groups = 0, cpus = 0, members = 0;

    g_assert_true(g_file_set_contents(lua, big_scenario, -1, &err));
    run_scenario(lua, db);
    plot_options_init(&opt);
    opt.keep_data = keep;
    opt.data_only = true;
    g_assert_cmpint(plot_trace(db, "big.png", &opt, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_true(g_file_get_contents(gp, &script, NULL, &err));
    labels = script_lanes(script);
    for (guint i = 0; i < labels->len; i++) {
        const char *l = g_ptr_array_index(labels, i);
        const char *paren = strstr(l, " (");

        if (g_str_has_prefix(l, "CPU ") || g_str_has_prefix(l, "IRQL ")) {
            cpus++;
        } else if (paren && g_str_has_suffix(l, " threads)")) {
            groups++;
            members += atoi(paren + 2);
        } else {
            threads++;
        }
    }
    g_assert_cmpint(cpus, ==, 32);
    g_assert_cmpint(threads, ==, PLOT_DETAIL_THREADS);
    g_assert_cmpint(groups, ==, 4);
    g_assert_cmpint(threads + members, ==, 200);
    g_assert_nonnull(strstr(script, "threads aggregated by process"));
    /* The band has at most PLOT_MAX_MARK_ROWS rows of labels: yrange top. */
    {
        const char *y = strstr(script, "set yrange [0 : ");
        double top;

        g_assert_nonnull(y);
        top = g_ascii_strtod(y + strlen("set yrange [0 : "), NULL);
        g_assert_cmpfloat(top, <, PLOT_DETAIL_THREADS + 4 * 2.0 + 32 + 10);
    }
    g_ptr_array_unref(labels);

    if (have_gnuplot()) {
        char *png = g_build_filename(dir, "big.png", NULL);

        g_assert_cmpint(plot_trace(db, png, NULL, &err), ==, 0);
        g_assert_no_error(err);
        check_image(png, false);
        g_free(png);
    }
    check_export(db, json);
    g_free(script);
    test_rm_rf(dir);
    g_free(dir);
    g_free(lua);
    g_free(db);
    g_free(keep);
    g_free(gp);
    g_free(json);
}

static void
test_errors(void)
{
    char *dir = tmpdir_new(), *db = g_build_filename(dir, "fake.db", NULL);
    char *png = g_build_filename(dir, "out.png", NULL), *junk = g_build_filename(dir, "junk.db", NULL);
    char *missing_dir = g_build_filename(dir, "no", "such", "out.png", NULL);
    PlotOptions opt;
    GError *err = NULL;

    write_fake(db);
    g_assert_true(g_file_set_contents(junk, "not a trace at all", -1, NULL));

    g_assert_cmpint(plot_trace("/nonexistent/x.db", png, NULL, &err), ==, TRACE_ERR_NOT_FOUND);
    g_assert_error(err, TRACE_ERROR, TRACE_ERR_NOT_FOUND);
    g_clear_error(&err);
    g_assert_cmpint(plot_trace(junk, png, NULL, &err), ==, TRACE_ERR_NOT_SQLITE);
    g_clear_error(&err);
    g_assert_cmpint(plot_trace(db, "out.pdf", NULL, &err), ==, PLOT_ERR_USAGE);
    g_assert_error(err, PLOT_ERROR, PLOT_ERR_USAGE);
    g_clear_error(&err);
    g_assert_cmpint(plot_trace(db, missing_dir, NULL, &err), ==, PLOT_ERR_WRITE);
    g_clear_error(&err);

    plot_options_init(&opt);
    opt.threads = "A\\\"quoted\",nobody";
    g_assert_cmpint(plot_trace(db, png, &opt, &err), ==, PLOT_ERR_USAGE);
    g_assert_nonnull(strstr(err->message, "'nobody'"));
    g_clear_error(&err);

    plot_options_init(&opt);
    opt.from = 300;
    opt.to = 200;
    g_assert_cmpint(plot_trace(db, png, &opt, &err), ==, PLOT_ERR_USAGE);
    g_clear_error(&err);

    plot_options_init(&opt);
    opt.gnuplot = "apcsim-no-such-gnuplot";
    g_assert_cmpint(plot_trace(db, png, &opt, &err), ==, PLOT_ERR_NO_GNUPLOT);
    g_assert_nonnull(strstr(err->message, "not found on PATH"));
    g_clear_error(&err);
    g_assert_false(g_file_test(png, G_FILE_TEST_EXISTS));

    /* A gnuplot that fails: no image, no temporary file left. */
    plot_options_init(&opt);
    opt.gnuplot = "false";
    g_assert_cmpint(plot_trace(db, png, &opt, &err), ==, PLOT_ERR_GNUPLOT);
    g_clear_error(&err);
    g_assert_false(g_file_test(png, G_FILE_TEST_EXISTS));
    {
        GDir *d = g_dir_open(dir, 0, NULL);
        const char *n;

        while ((n = g_dir_read_name(d)))
            g_assert_false(g_str_has_prefix(n, "out.png"));
        g_dir_close(d);
    }

    /* A window with the selected thread only, and one past the end: fine. */
    plot_options_init(&opt);
    opt.threads = "A\\\"quoted\"";
    opt.from = 100;
    opt.to = 350;
    opt.data_only = true;
    g_assert_cmpint(plot_trace(db, png, &opt, &err), ==, 0);
    opt.threads = NULL;
    opt.from = 10000;
    opt.to = -1;
    g_assert_cmpint(plot_trace(db, png, &opt, &err), ==, 0);
    g_assert_no_error(err);

    test_rm_rf(dir);
    g_free(dir);
    g_free(db);
    g_free(png);
    g_free(junk);
    g_free(missing_dir);
}

static void
test_export_scenario(gconstpointer data)
{
    const char *name = data;
    char *dir = tmpdir_new();
    char *scenario = g_strdup_printf("scenarios/%s.lua", name);
    char *db = g_build_filename(dir, "t.db", NULL), *json = g_build_filename(dir, "t.json", NULL);

    run_scenario(scenario, db);
    check_export(db, json);
    test_rm_rf(dir);
    g_free(dir);
    g_free(scenario);
    g_free(db);
    g_free(json);
}

/* Find the metadata event naming tid (thread_name) and return the name. */
static const char *
thread_name_of(const JVal *events, double tid)
{
    for (guint i = 0; i < events->items->len; i++) {
        const JVal *ev = g_ptr_array_index(events->items, i);
        double t;

        if (g_strcmp0(jstr(ev, "ph"), "M") == 0 && g_strcmp0(jstr(ev, "name"), "thread_name") == 0 &&
            jnum(ev, "tid", &t) && t == tid)
            return jstr(jget(ev, "args"), "name");
    }
    return NULL;
}

static void
test_export_escaping(void)
{
    char *dir = tmpdir_new(), *db = g_build_filename(dir, "fake.db", NULL);
    char *json = g_build_filename(dir, "fake.json", NULL);
    JVal *doc, *events;
    const char *want = "q\"uo\\te\nnl\ttab\x01 \xef\xbf\xbd\xef\xbf\xbd `echo hi` end";
    bool mark_seen = false;

    write_fake(db);
    check_export(db, json);
    doc = export_and_parse(db, json);
    events = jget(doc, "traceEvents");
    g_assert_cmpstr(thread_name_of(events, 11), ==, "A\\\"quoted\"");
    g_assert_cmpstr(thread_name_of(events, 12), ==, want);
    for (guint i = 0; i < events->items->len; i++) {
        const JVal *ev = g_ptr_array_index(events->items, i);

        if (g_strcmp0(jstr(ev, "cat"), "mark") == 0) {
            double ts;

            g_assert_cmpstr(jstr(ev, "name"), ==, want);
            g_assert_true(jnum(ev, "ts", &ts));
            g_assert_cmpint(us_to_ns(ts), ==, 250);
            mark_seen = true;
        }
        if (g_strcmp0(jstr(ev, "cat"), "cpu") == 0 && g_strcmp0(jstr(ev, "name"), want) == 0) {
            /* B's CSwitch: A went Waiting (5) for UserRequest (6), Windows numbering. */
            const JVal *args = jget(ev, "args");
            double v;

            g_assert_true(jnum(args, "OldThreadState", &v));
            g_assert_cmpfloat(v, ==, 5);
            g_assert_true(jnum(args, "OldThreadWaitReason", &v));
            g_assert_cmpfloat(v, ==, 6);
            g_assert_cmpstr(jstr(args, "OldThreadWaitReasonName"), ==, "UserRequest");
        }
    }
    g_assert_true(mark_seen);
    {
        const JVal *other = jget(doc, "otherData");

        g_assert_cmpstr(jstr(other, "scenario"), ==, "fake/hand-written.lua");
    }
    jval_free(doc);
    test_rm_rf(dir);
    g_free(dir);
    g_free(db);
    g_free(json);
}

static void
test_export_errors(void)
{
    char *dir = tmpdir_new(), *db = g_build_filename(dir, "fake.db", NULL);
    char *bad = g_build_filename(dir, "no", "such", "x.json", NULL);
    GError *err = NULL;

    write_fake(db);
    g_assert_cmpint(export_chrome("/nonexistent/x.db", "x.json", &err), ==, TRACE_ERR_NOT_FOUND);
    g_clear_error(&err);
    g_assert_false(g_file_test("x.json", G_FILE_TEST_EXISTS));
    g_assert_cmpint(export_chrome(db, bad, &err), ==, PLOT_ERR_WRITE);
    g_assert_error(err, PLOT_ERROR, PLOT_ERR_WRITE);
    g_clear_error(&err);
    test_rm_rf(dir);
    g_free(dir);
    g_free(db);
    g_free(bad);
}

int
main(int argc, char **argv)
{
    char *root;

    g_test_init(&argc, &argv, NULL);
    root = test_find_source_root();
    if (!root) {
        fprintf(stderr, "test_plot: cannot find the source tree (set APCSIM_ROOT)\n");
        return 1;
    }
    if (g_chdir(root) != 0) {
        fprintf(stderr, "test_plot: cannot enter %s: %s\n", root, g_strerror(errno));
        return 1;
    }
    g_free(root);

    g_test_add_func("/plot/parse-time", test_parse_time);
    g_test_add_func("/plot/timeline", test_timeline);
    for (size_t i = 0; i < G_N_ELEMENTS(golden_scenarios); i++) {
        char *path = g_strdup_printf("/plot/golden/%s", golden_scenarios[i]);

        g_test_add_data_func(path, golden_scenarios[i], test_golden);
        g_free(path);
    }
    g_test_add_func("/plot/aggregate", test_aggregate);
    g_test_add_func("/plot/dense", test_dense);
    g_test_add_func("/plot/errors", test_errors);
    for (size_t i = 0; i < G_N_ELEMENTS(golden_scenarios); i++) {
        char *path = g_strdup_printf("/export/%s", golden_scenarios[i]);

        g_test_add_data_func(path, golden_scenarios[i], test_export_scenario);
        g_free(path);
    }
    g_test_add_func("/export/escaping", test_export_escaping);
    g_test_add_func("/export/errors", test_export_errors);
    return g_test_run();
}
