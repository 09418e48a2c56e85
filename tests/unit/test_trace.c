/*
 * test_trace.c - unit tests of the SQLite trace store (src/trace/).
 *
 * A fake run (no kernel: a seeded list of records and name registrations)
 * feeds the store's sink. It holds hand-written rows, rows of every kind with
 * values drawn from pools of interesting values (unnamed enum values,
 * statuses as negative int32 and as positive int64, unknown and -1 ids,
 * int64 extremes, texts with quotes, backslashes and newlines), and sweeps
 * of every enum field type over and beyond its named range. The tests check:
 *
 *   - the formatter against hand-written expected details;
 *   - the round trip: every column of every row, meta, the lookup tables,
 *     the views, the file format (one file, not WAL);
 *   - the differential check that matters most: v_event.detail, which SQLite
 *     computes from SQL generated at schema creation, equals
 *     trace_format_detail for every row (and dump equals both);
 *   - the file discipline: nothing under the final name before finish,
 *     ".partial" with complete = 0 after abandon, nothing at all after a
 *     failed write (disk full, simulated with RLIMIT_FSIZE in a child);
 *   - every refusal of the reader, with its exit status and message.
 *
 * Every test works in its own g_dir_make_tmp directory and removes it.
 */
#include "trace/store.h"

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ke/ktrace.h"
#include "ke/ntdef.h"

/* ---- temporary directories and files ------------------------------------- */

static char *
tmpdir_new(void)
{
    GError *err = NULL;
    char *dir = g_dir_make_tmp("apcsim-trace-XXXXXX", &err);

    g_assert_no_error(err);
    return dir;
}

static gint
cmp_name(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir, sorted, joined by spaces ("" if none). */
static char *
dir_listing(const char *dir)
{
    GError *err = NULL;
    GDir *d = g_dir_open(dir, 0, &err);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *n;

    g_assert_no_error(err);
    while ((n = g_dir_read_name(d)))
        g_ptr_array_add(names, g_strdup(n));
    g_dir_close(d);
    g_ptr_array_sort(names, cmp_name);
    g_ptr_array_add(names, NULL);

    char *s = g_strjoinv(" ", (char **)names->pdata);

    g_ptr_array_free(names, TRUE);
    return s;
}

static void
tmpdir_free(char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *n;

    if (d) {
        while ((n = g_dir_read_name(d))) {
            char *p = g_build_filename(dir, n, NULL);

            g_assert_cmpint(g_remove(p), ==, 0);
            g_free(p);
        }
        g_dir_close(d);
    }
    g_assert_cmpint(g_rmdir(dir), ==, 0);
    g_free(dir);
}

static bool
exists(const char *path)
{
    return g_file_test(path, G_FILE_TEST_EXISTS);
}

static void
copy_prefix(const char *from, const char *to, gssize n)
{
    GError *err = NULL;
    char *data;
    gsize len;

    g_assert_true(g_file_get_contents(from, &data, &len, &err));
    g_assert_no_error(err);
    g_assert_true(g_file_set_contents(to, data, n < 0 ? (gssize)len : n, &err));
    g_assert_no_error(err);
    g_free(data);
}

static gsize
file_size(const char *path)
{
    char *data;
    gsize len;

    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    g_free(data);
    return len;
}

/* Run SQL on a database opened read-write (for making damaged copies). */
static void
exec_rw(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    char *msg = NULL;

    g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        g_error("%s: %s", sql, msg);
    g_assert_cmpint(sqlite3_close(db), ==, SQLITE_OK);
}

static gint64
q_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    gint64 v;

    g_assert_cmpint(sqlite3_prepare_v2(db, sql, -1, &st, NULL), ==, SQLITE_OK);
    g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
    v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The text of the first column of the first row (g_free it), or NULL. */
static char *
q_text(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    char *s = NULL;

    g_assert_cmpint(sqlite3_prepare_v2(db, sql, -1, &st, NULL), ==, SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        s = g_strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return s;
}

static void
assert_q_text(sqlite3 *db, const char *sql, const char *want)
{
    char *got = q_text(db, sql);

    if (g_strcmp0(got, want) != 0)
        g_test_message("query: %s", sql);
    g_assert_cmpstr(got, ==, want);
    g_free(got);
}

/* ---- the fake run --------------------------------------------------------- */

typedef struct Op {
    int rec;                        /* index into FakeRun.recs, or -1 for a name */
    const char *what;               /* name registration: "thread", ... */
    int32_t id;
    const char *name;               /* may be NULL */
} Op;

typedef struct FakeRun {
    GArray *recs;                   /* KTRACE_RECORD; texts are static strings */
    GArray *ops;                    /* Op, in emission order */
    GHashTable *names;              /* "what:id" -> name as last registered */
    GRand *rand;
    gint64 t;
} FakeRun;

static const char *
fake_name(void *ctx, const char *what, int32_t id)
{
    FakeRun *run = ctx;
    char key[64];

    g_snprintf(key, sizeof key, "%s:%" PRId32, what, id);
    return g_hash_table_lookup(run->names, key);
}

static void
run_name(FakeRun *run, const char *what, int32_t id, const char *name)
{
    Op op = { .rec = -1, .what = what, .id = id, .name = name };

    g_array_append_val(run->ops, op);
    g_hash_table_replace(run->names, g_strdup_printf("%s:%" PRId32, what, id), (gpointer)name);
}

static void
run_add(FakeRun *run, KTRACE_RECORD rec)
{
    Op op = { .rec = (int)run->recs->len };

    g_array_append_val(run->recs, rec);
    g_array_append_val(run->ops, op);
}

static KTRACE_RECORD *
run_rec(FakeRun *run, guint i)
{
    return &g_array_index(run->recs, KTRACE_RECORD, i);
}

#define PICK(g, arr) ((arr)[g_rand_int_range((g), 0, (gint32)G_N_ELEMENTS(arr))])

/* A value of a field of the given type, from a pool of interesting ones. */
static int64_t
pick(GRand *g, KTRACE_FIELD_TYPE type)
{
    static const int64_t ints[] = { 0, 1, -1, 42, -5, 123456789012, INT64_MIN, INT64_MAX };
    static const int64_t times[] = { -1, 0, 1, 1500, 10000000, -7, INT64_MAX };
    static const int64_t bools[] = { 0, 1, 0, 1, 2, -1 };
    static const int64_t irqls[] = { 0, 1, 2, 3, 12, 13, 14, 31, 15, 255, 256, -1 };
    static const int64_t statuses[] = {
        0, 1, 2, 63, 64, 0x80, 0x81, 0xBF, 0xC0, 0x100, 0x101, 0x102, 0x103,
        (int32_t)0xC0000001u, 0xC0000001, (int32_t)0xC00000BBu, 0x12345678, 0x100000102, -1,
        0x40000000, (int32_t)0x80000005u,
    };
    static const int64_t threads[] = { -1, 1, 2, 3, 7, 0 };
    static const int64_t objects[] = { -1, 10, 11, 12, 99 };
    static const int64_t processes[] = { -1, 100, 101, 555 };
    static const int64_t apcs[] = { -1, 1000, 1001, 1002, 4242 };
    static const int64_t cpus[] = { 0, 1, 3, -1 };
    static const int64_t bugcodes[] = { 0x0A, (int32_t)0xC000021Au, 0xDEADDEAD, -1, 0x1E };
    static const int64_t hexes[] = { 0, 255, -1, INT64_MIN, 0x1234abcd };

    switch (type) {
    case FT_NONE:       return 0;
    case FT_INT:        return PICK(g, ints);
    case FT_TIME:       return PICK(g, times);
    case FT_BOOL:       return PICK(g, bools);
    case FT_IRQL:       return PICK(g, irqls);
    case FT_STATE:      return g_rand_int_range(g, -1, 12);
    case FT_WAITREASON: return g_rand_int_range(g, -1, 45);
    case FT_MODE:       return g_rand_int_range(g, -1, 3);
    case FT_STATUS:     return PICK(g, statuses);
    case FT_THREAD:     return PICK(g, threads);
    case FT_OBJECT:     return PICK(g, objects);
    case FT_PROCESS:    return PICK(g, processes);
    case FT_APC:        return PICK(g, apcs);
    case FT_CPU:        return PICK(g, cpus);
    case FT_OBJTYPE:    return g_rand_int_range(g, -1, 12);
    case FT_WAITTYPE:   return g_rand_int_range(g, -1, 4);
    case FT_SWINT:      return g_rand_int_range(g, 0, 4);
    case FT_FIELD:      return g_rand_int_range(g, -1, FLD__COUNT + 2);
    case FT_APCKIND: case FT_ENV: case FT_ROUTINE: case FT_REFUSE: case FT_QPOS:
    case FT_PRIOREASON: return g_rand_int_range(g, -1, 9);
    case FT_BUGCODE:    return PICK(g, bugcodes);
    case FT_HEX:        return PICK(g, hexes);
    }
    g_assert_not_reached();
}

static const char *const texts[] = {
    NULL, NULL, NULL, "", "hello", "say \"hi\"", "back\\slash", "two\nlines\tand\rcr",
    "\xc3\xbc" "n" "\xc3\xaf" "c" "\xc3\xb6" "d" "\xc3\xa9", "O'Brien's", "  spaced  ",
};

static KTRACE_RECORD
random_record(FakeRun *run, int32_t kind)
{
    static const int32_t cpus[] = { -1, 0, 1, 1 };     /* the machine has 2 CPUs (meta.cpus) */
    static const int32_t threads[] = { -1, 1, 2, 3, 7 };
    const KTRACE_KIND_INFO *ki = &ktrace_kind_info[kind];
    KTRACE_RECORD r = { .kind = kind };
    int64_t *field[5] = { &r.a, &r.b, &r.c, &r.d, &r.e };

    run->t += g_rand_int_range(run->rand, 0, 1000);
    r.t = run->t;
    r.cpu = PICK(run->rand, cpus);
    r.thread = PICK(run->rand, threads);
    r.obj = ki->obj_type == FT_NONE ? -1 : (int32_t)pick(run->rand, ki->obj_type);
    for (int i = 0; i < 5; i++)
        *field[i] = pick(run->rand, ki->type[i]);
    r.text = PICK(run->rand, texts);
    return r;
}

static bool
type_is_enum(KTRACE_FIELD_TYPE t)
{
    switch (t) {
    case FT_BOOL: case FT_IRQL: case FT_STATE: case FT_WAITREASON: case FT_MODE:
    case FT_STATUS: case FT_OBJTYPE: case FT_WAITTYPE: case FT_SWINT: case FT_FIELD:
    case FT_APCKIND: case FT_ENV: case FT_ROUTINE: case FT_REFUSE: case FT_QPOS:
    case FT_PRIOREASON:
        return true;
    default:
        return false;
    }
}

/* Rows that carry field value v in the first field of type t of some kind. */
static void
sweep_type(FakeRun *run, KTRACE_FIELD_TYPE t)
{
    int kind = -1, field = -1;

    for (int k = 0; k < TR__COUNT && kind < 0; k++)
        for (int i = 0; i < 5 && kind < 0; i++)
            if (ktrace_kind_info[k].type[i] == t) {
                kind = k;
                field = i;
            }
    g_assert_cmpint(kind, >=, 0);   /* every enum type is used by some kind */

    GArray *values = g_array_new(FALSE, FALSE, sizeof(int64_t));

    if (t == FT_STATUS) {
        static const int64_t extra[] = { -1, 0x1000, 0x10000, 0x100000000, 0x100000102,
                                         (int32_t)0xC0000022u, INT64_MIN, INT64_MAX };

        for (uint32_t sev = 0; sev < 4; sev++)
            for (uint32_t code = 0; code < 0x1000; code++) {
                int64_t v = (int64_t)((sev << 30) | code);

                g_array_append_val(values, v);
                if (sev >= 2 && code % 7 == 0) {    /* also as a negative int32 */
                    v = (int32_t)((sev << 30) | code);
                    g_array_append_val(values, v);
                }
            }
        g_array_append_vals(values, extra, G_N_ELEMENTS(extra));
    } else {
        for (int64_t v = -3; v <= 300; v++)
            g_array_append_val(values, v);
    }
    for (guint j = 0; j < values->len; j++) {
        KTRACE_RECORD r = random_record(run, kind);
        int64_t *f[5] = { &r.a, &r.b, &r.c, &r.d, &r.e };

        *f[field] = g_array_index(values, int64_t, j);
        run_add(run, r);
    }
    g_array_free(values, TRUE);
}

/*
 * The fake run: a hand-written prologue, `rounds` records of every kind, the
 * sweeps of every enum type if asked, and RUN_END. Deterministic for a seed.
 */
static FakeRun *
fake_run_new(guint32 seed, int rounds, bool sweeps)
{
    FakeRun *run = g_new0(FakeRun, 1);

    run->recs = g_array_new(FALSE, TRUE, sizeof(KTRACE_RECORD));
    run->ops = g_array_new(FALSE, TRUE, sizeof(Op));
    run->names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    run->rand = g_rand_new_with_seed(seed);

    run_add(run, (KTRACE_RECORD){ .t = 0, .kind = TR_RUN_BEGIN, .cpu = -1, .thread = -1, .obj = -1,
                                  .a = 2, .b = 42, .c = 1000000, .d = 6, .e = -1 });
    run_name(run, "process", 100, "system");
    run_add(run, (KTRACE_RECORD){ .t = 0, .kind = TR_PROCESS_CREATE, .cpu = -1, .thread = -1,
                                  .obj = 100 });
    run_name(run, "thread", 1, "idle0");
    run_name(run, "thread", 2, "worker0");
    run_name(run, "thread", 2, "worker");           /* a rename: the last one counts */
    run_name(run, "object", 10, "ev");
    run_name(run, "apc", 1000, "apc1");
    run_add(run, (KTRACE_RECORD){ .t = 100, .kind = TR_MARK, .cpu = 0, .thread = 2, .obj = -1,
                                  .a = 0, .b = 1, .text = "hello" });
    run_add(run, (KTRACE_RECORD){ .t = 150, .kind = TR_WAIT_BEGIN, .cpu = 0, .thread = 2, .obj = 10,
                                  .a = WaitAny, .b = UserMode, .c = 1, .d = -1, .e = 1 });
    run_add(run, (KTRACE_RECORD){ .t = 200, .kind = TR_APC_INSERT, .cpu = 1, .thread = 1,
                                  .obj = 1000, .a = 1, .b = UserMode, .c = QposTail, .d = 2,
                                  .e = OriginalApcEnvironment });
    run_add(run, (KTRACE_RECORD){ .t = 250, .kind = TR_SYSCALL_ENTER, .cpu = 0, .thread = 2,
                                  .obj = -1 });
    run_name(run, "process", 101, "app");
    run_name(run, "object", 11, "mutex");
    run_name(run, "object", 12, "timer \"one\"");
    run_name(run, "apc", 1001, "dpc0");
    run_name(run, "apc", 1002, NULL);               /* registered without a name */
    run->t = 300;
    for (int r = 0; r < rounds; r++)
        for (int k = 0; k < TR__COUNT; k++)
            run_add(run, random_record(run, k));
    run_name(run, "thread", 3, "o'brien");          /* named after rows that use it */
    if (sweeps)
        for (int t = FT_NONE; t <= FT_HEX; t++)
            if (type_is_enum((KTRACE_FIELD_TYPE)t))
                sweep_type(run, (KTRACE_FIELD_TYPE)t);
    run_add(run, (KTRACE_RECORD){ .t = run->t + 1, .kind = TR_RUN_END, .cpu = -1, .thread = -1,
                                  .obj = -1, .a = 0, .b = run->recs->len + 1 });
    return run;
}

static void
fake_run_free(FakeRun *run)
{
    g_array_free(run->recs, TRUE);
    g_array_free(run->ops, TRUE);
    g_hash_table_destroy(run->names);
    g_rand_free(run->rand);
    g_free(run);
}

/* Feed the run to a sink. Texts are passed in a buffer that is overwritten
 * right after each call: the sink must copy what it keeps. */
static void
fake_run_emit(FakeRun *run, const KTRACE_SINK *sink)
{
    char text[256] = "", name[256] = "";

    for (guint i = 0; i < run->ops->len; i++) {
        const Op *op = &g_array_index(run->ops, Op, i);

        if (op->rec < 0) {
            if (op->name)
                g_strlcpy(name, op->name, sizeof name);
            sink->name(sink->ctx, op->what, op->id, op->name ? name : NULL);
            memset(name, 'N', sizeof name - 1);
            continue;
        }

        KTRACE_RECORD rec = *run_rec(run, (guint)op->rec);

        if (rec.text) {
            g_strlcpy(text, rec.text, sizeof text);
            rec.text = text;
        }
        sink->emit(sink->ctx, &rec);
        memset(text, 'X', sizeof text - 1);
        text[sizeof text - 1] = '\0';
    }
}

/* Write the run as a finished trace at path. */
static void
write_trace(const char *path, FakeRun *run, const char *volatile_value)
{
    GError *err = NULL;
    TraceStore *ts = trace_store_open(path, &err);
    KTRACE_SINK sink;

    g_assert_no_error(err);
    g_assert_nonnull(ts);
    trace_store_meta(ts, "scenario", "fake.lua");
    trace_store_meta(ts, "seed", "42");
    trace_store_meta(ts, "apcsim_version", "test");
    trace_store_meta(ts, "cpus", "2");
    trace_store_meta(ts, "volatile_wallclock", volatile_value);
    sink = trace_store_sink(ts);
    fake_run_emit(run, &sink);
    g_assert_null(trace_store_error(ts));
    g_assert_cmpint(trace_store_rows(ts), ==, run->recs->len);
    g_assert_true(trace_store_finish(ts, &err));
    g_assert_no_error(err);
}

/* A record back from an event row (NULL: -1 for cpu/thread/obj, 0 for a..e).
 * text is borrowed from the statement. */
static KTRACE_RECORD
row_record(sqlite3_stmt *st, int first)
{
    KTRACE_RECORD r;
    int64_t *f[5] = { &r.a, &r.b, &r.c, &r.d, &r.e };

    r.t = sqlite3_column_int64(st, first + 0);
    r.kind = sqlite3_column_int(st, first + 1);
    r.cpu = sqlite3_column_type(st, first + 2) == SQLITE_NULL ? -1 : sqlite3_column_int(st, first + 2);
    r.thread = sqlite3_column_type(st, first + 3) == SQLITE_NULL ? -1 : sqlite3_column_int(st, first + 3);
    r.obj = sqlite3_column_type(st, first + 4) == SQLITE_NULL ? -1 : sqlite3_column_int(st, first + 4);
    for (int i = 0; i < 5; i++)
        *f[i] = sqlite3_column_int64(st, first + 5 + i);
    r.text = (const char *)sqlite3_column_text(st, first + 10);
    return r;
}

#define EVENT_COLUMNS "t, kind, cpu, thread, obj, a, b, c, d, e, text"
#define EVENT_COLUMNS_E "e.t, e.kind, e.cpu, e.thread, e.obj, e.a, e.b, e.c, e.d, e.e, e.text"

/* ---- the formatter --------------------------------------------------------- */

static const char *
example_name(void *ctx, const char *what, int32_t id)
{
    if (strcmp(what, "thread") == 0 && id == 2)
        return "worker";
    if (strcmp(what, "object") == 0 && id == 10)
        return "ev";
    if (strcmp(what, "object") == 0 && id == 11)
        return "mutex";
    if (strcmp(what, "process") == 0 && id == 100)
        return "system";
    if (strcmp(what, "apc") == 0 && id == 1000)
        return "apc1";
    return NULL;
}

static void
check_detail(KTRACE_RECORD rec, trace_name_fn names, const char *want)
{
    GString *buf = g_string_new("previous contents");

    trace_format_detail(&rec, names, NULL, buf);
    g_assert_cmpstr(buf->str, ==, want);
    g_string_free(buf, TRUE);
}

/* The formatter reads neither t, cpu nor thread; obj is given where shown. */
#define R(...) ((KTRACE_RECORD){ __VA_ARGS__ })

static void
test_format_examples(void)
{
    trace_name_fn nm = example_name;

    check_detail(R(.kind = TR_THREAD_STATE, .a = Ready, .b = Running), nm,
                 "from=Ready to=Running reason=Executive exit=0 queue_pos=0");
    check_detail(R(.kind = TR_THREAD_STATE, .a = Running, .b = Waiting, .c = UserRequest,
                   .d = STATUS_TIMEOUT, .e = -1), nm,
                 "from=Running to=Waiting reason=UserRequest exit=258 queue_pos=-1");
    check_detail(R(.kind = TR_WAIT_BEGIN, .obj = 10, .a = WaitAny, .b = UserMode, .c = 1, .d = -1,
                   .e = 1), nm,
                 "ev type=WaitAny mode=UserMode alertable=TRUE timeout=inf count=1");
    check_detail(R(.kind = TR_FIELD, .a = FLD_KERNEL_APC_DISABLE, .b = 0, .c = -1), nm,
                 "KernelApcDisable from=0 to=-1");
    check_detail(R(.kind = TR_FIELD, .a = 200, .b = 1, .c = 2), nm, "200 from=1 to=2");
    check_detail(R(.kind = TR_MARK, .a = APC_LEVEL, .b = KernelMode, .text = "say \"hi\"\n"), nm,
                 "irql=APC_LEVEL mode=KernelMode \"say \\\"hi\\\"\\n\"");
    check_detail(R(.kind = TR_MARK, .a = PASSIVE_LEVEL, .b = UserMode, .text = ""), nm,
                 "irql=PASSIVE_LEVEL mode=UserMode \"\"");
    check_detail(R(.kind = TR_MARK, .a = DISPATCH_LEVEL, .b = 7), nm, "irql=DISPATCH_LEVEL mode=7");
    check_detail(R(.kind = TR_EXPECT_FAIL, .text = "want 1, got 2"), nm, "\"want 1, got 2\"");
    check_detail(R(.kind = TR_BUGCHECK, .obj = (int32_t)0xC000021Au, .a = 1, .b = -1, .c = 0, .d = 255),
                 nm, "0xC000021A p1=0x1 p2=0xFFFFFFFFFFFFFFFF p3=0x0 p4=0xFF");
    check_detail(R(.kind = TR_WAIT_END, .a = (int32_t)0xC0000001u), nm, "status=STATUS_UNSUCCESSFUL");
    check_detail(R(.kind = TR_WAIT_END, .a = 0xC0000001), nm, "status=STATUS_UNSUCCESSFUL");
    check_detail(R(.kind = TR_WAIT_END, .a = 0x12345678), nm, "status=0x12345678");
    check_detail(R(.kind = TR_WAIT_END, .a = 5), nm, "status=STATUS_WAIT_5");
    check_detail(R(.kind = TR_WAIT_END, .a = 0x85), nm, "status=STATUS_ABANDONED_WAIT_5");
    check_detail(R(.kind = TR_WAIT_END, .a = 0xC0), nm, "status=STATUS_USER_APC");
    check_detail(R(.kind = TR_IRQL, .a = 0, .b = 5), nm, "from=PASSIVE_LEVEL to=5");
    check_detail(R(.kind = TR_IRQL, .a = 31, .b = 14), nm, "from=HIGH_LEVEL to=IPI_LEVEL");
    check_detail(R(.kind = TR_CONTEXT_SWITCH, .a = 2, .b = 7, .c = 2), nm,
                 "from=worker to=#7 from_irql=DISPATCH_LEVEL");
    check_detail(R(.kind = TR_CONTEXT_SWITCH, .a = 2, .b = 7, .c = 2), NULL,
                 "from=#2 to=#7 from_irql=DISPATCH_LEVEL");
    check_detail(R(.kind = TR_CONTEXT_SWITCH, .a = -1, .b = 2, .c = 0), nm,
                 "from=- to=worker from_irql=PASSIVE_LEVEL");
    check_detail(R(.kind = TR_SYSCALL_ENTER), nm, "");
    check_detail(R(.kind = TR_SYSCALL_ENTER, .text = ""), nm, "");
    check_detail(R(.kind = TR_SYSCALL_ENTER, .text = "x y"), nm, "x y");
    check_detail(R(.kind = TR_RUN_END, .a = 0, .b = 5, .text = "stop\\now \"q\""), nm,
                 "reason=0 events=5 stop\\\\now \"q\"");
    check_detail(R(.kind = TR_RUN_BEGIN, .a = 2, .b = 42, .c = 1000000, .d = 6, .e = -1), nm,
                 "cpus=2 seed=42 clock_tick=1000000 quantum=6 switch_cost=inf");
    check_detail(R(.kind = TR_APC_INSERT, .obj = 1000, .a = 1, .b = UserMode, .c = QposAfterSpecials,
                   .d = 0, .e = InsertApcEnvironment), nm,
                 "apc1 state=1 list=UserMode pos=after-specials increment=0 env=InsertApcEnvironment");
    check_detail(R(.kind = TR_APC_INSERT, .obj = 4242, .a = 0, .b = 2, .c = 9, .d = 0, .e = 17), nm,
                 "#4242 state=0 list=2 pos=9 increment=0 env=17");
    check_detail(R(.kind = TR_SWINT_REQUEST, .a = APC_LEVEL, .b = 3), nm, "level=APC_LEVEL from_cpu=3");
    check_detail(R(.kind = TR_SWINT_REQUEST, .a = 3, .b = 0), nm, "level=3 from_cpu=0");
    check_detail(R(.kind = TR_THREAD_CREATE, .obj = 11, .a = 100, .b = 8, .c = 3, .d = 0, .e = -1), nm,
                 "mutex process=system priority=8 affinity=0x3 system=FALSE idle_cpu=-1");
    check_detail(R(.kind = TR_OBJECT_CREATE, .obj = -1, .a = TimerNotificationObject, .b = 0,
                   .c = 1, .d = 0), nm, "- type=NotificationTimer signal=0 limit=1 subtype=0");
    check_detail(R(.kind = TR_ROUTINE_BEGIN, .obj = 1000, .a = RtNormalRoutine, .b = PASSIVE_LEVEL,
                   .c = UserMode), nm,
                 "apc1 routine=NormalRoutine irql=PASSIVE_LEVEL mode=UserMode");
    check_detail(R(.kind = TR_PRIORITY, .a = 8, .b = 10, .c = PrioUnwaitBoost, .d = 0), nm,
                 "from=8 to=10 reason=unwait-boost prio_dec=0");
    check_detail(R(.kind = 999, .obj = -1, .a = 1, .text = "x\ty"), nm, "obj=-1 a=1 b=0 c=0 d=0 e=0 x\\ty");
}

/* ---- the writer ------------------------------------------------------------ */

static void
test_writer_roundtrip(void)
{
    char *dir = tmpdir_new();
    char *path = g_build_filename(dir, "run.db", NULL);
    FakeRun *run = fake_run_new(1, 10, false);
    int code = -1;
    GError *err = NULL;
    sqlite3 *db;
    sqlite3_stmt *st;
    char *listing, *sql;
    unsigned char header[100];
    FILE *f;

    write_trace(path, run, "12:00");
    listing = dir_listing(dir);
    g_assert_cmpstr(listing, ==, "run.db");     /* one self-contained file */
    g_free(listing);

    /* Not WAL: the file format bytes are 1 (legacy), not 2. */
    f = fopen(path, "rb");
    g_assert_nonnull(f);
    g_assert_cmpuint(fread(header, 1, sizeof header, f), ==, sizeof header);
    fclose(f);
    g_assert_cmpuint(header[18], ==, 1);
    g_assert_cmpuint(header[19], ==, 1);

    db = trace_open_readonly(path, true, &code, &err);
    g_assert_no_error(err);
    g_assert_nonnull(db);
    g_assert_cmpint(code, ==, 0);
    g_assert_cmpint(q_int(db, "PRAGMA application_id"), ==, APCSIM_APPLICATION_ID);
    g_assert_cmpint(q_int(db, "PRAGMA user_version"), ==, APCSIM_SCHEMA_VERSION);

    /* meta: the caller's keys and the store's own */
    assert_q_text(db, "SELECT value FROM meta WHERE key = 'complete'", "1");
    sql = g_strdup_printf("%u", run->recs->len);
    assert_q_text(db, "SELECT value FROM meta WHERE key = 'events'", sql);
    g_free(sql);
    assert_q_text(db, "SELECT value FROM meta WHERE key = 'schema_version'", "1");
    assert_q_text(db, "SELECT value FROM meta WHERE key = 'scenario'", "fake.lua");
    assert_q_text(db, "SELECT value FROM meta WHERE key = 'volatile_wallclock'", "12:00");

    /* every row, every column; NULL where the value does not apply */
    g_assert_cmpint(q_int(db, "SELECT count(*) FROM event"), ==, run->recs->len);
    g_assert_cmpint(sqlite3_prepare_v2(db, "SELECT seq, " EVENT_COLUMNS " FROM event ORDER BY seq",
                                       -1, &st, NULL), ==, SQLITE_OK);
    for (guint i = 0; i < run->recs->len; i++) {
        const KTRACE_RECORD *want = run_rec(run, i);
        const KTRACE_KIND_INFO *ki = &ktrace_kind_info[want->kind];
        const int64_t wf[5] = { want->a, want->b, want->c, want->d, want->e };

        g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
        g_assert_cmpint(sqlite3_column_int64(st, 0), ==, i + 1);

        KTRACE_RECORD got = row_record(st, 1);
        const int64_t gf[5] = { got.a, got.b, got.c, got.d, got.e };

        g_assert_cmpint(got.t, ==, want->t);
        g_assert_cmpint(got.kind, ==, want->kind);
        g_assert_cmpint(got.cpu, ==, want->cpu);
        g_assert_cmpint(got.thread, ==, want->thread);
        g_assert_cmpint(got.obj, ==, want->obj);
        g_assert_cmpint(sqlite3_column_type(st, 3) == SQLITE_NULL, ==, want->cpu == -1);
        g_assert_cmpint(sqlite3_column_type(st, 4) == SQLITE_NULL, ==, want->thread == -1);
        g_assert_cmpint(sqlite3_column_type(st, 5) == SQLITE_NULL, ==, want->obj == -1);
        for (int k = 0; k < 5; k++) {
            g_assert_cmpint(gf[k], ==, wf[k]);
            g_assert_cmpint(sqlite3_column_type(st, 6 + k) == SQLITE_NULL, ==, ki->type[k] == FT_NONE);
        }
        g_assert_cmpstr(got.text, ==, want->text);
    }
    g_assert_cmpint(sqlite3_step(st), ==, SQLITE_DONE);
    sqlite3_finalize(st);

    /* the kind table is KTRACE_KINDS */
    g_assert_cmpint(q_int(db, "SELECT count(*) FROM kind"), ==, TR__COUNT);
    g_assert_cmpint(sqlite3_prepare_v2(db, "SELECT id, name, obj_type, a_type, b_type, c_type, d_type,"
                                       " e_type, a_label, b_label, c_label, d_label, e_label"
                                       " FROM kind ORDER BY id", -1, &st, NULL), ==, SQLITE_OK);
    for (int k = 0; k < TR__COUNT; k++) {
        const KTRACE_KIND_INFO *ki = &ktrace_kind_info[k];

        g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
        g_assert_cmpint(sqlite3_column_int(st, 0), ==, k);
        g_assert_cmpstr((const char *)sqlite3_column_text(st, 1), ==, ki->name);
        g_assert_cmpint(sqlite3_column_int(st, 2), ==, ki->obj_type);
        for (int i = 0; i < 5; i++) {
            g_assert_cmpint(sqlite3_column_int(st, 3 + i), ==, ki->type[i]);
            g_assert_cmpstr((const char *)sqlite3_column_text(st, 8 + i), ==, ki->label[i]);
        }
    }
    sqlite3_finalize(st);

    /* lookup tables */
    sql = g_strdup_printf("SELECT name FROM field_type WHERE id = %d", FT_WAITREASON);
    assert_q_text(db, sql, "FT_WAITREASON");
    g_free(sql);
#define ENUM_IS(type, value, name) do { \
        char *q_ = g_strdup_printf("SELECT name FROM enum_value WHERE type = %d AND value = %" PRId64, \
                                   (int)(type), (int64_t)(value)); \
        assert_q_text(db, q_, name); \
        g_free(q_); \
    } while (0)
#define ENUM_COUNT(type) \
    q_int(db, "SELECT count(*) FROM enum_value WHERE type = " G_STRINGIFY(type))
    ENUM_IS(FT_IRQL, 0, "PASSIVE_LEVEL");
    ENUM_IS(FT_IRQL, 2, "DISPATCH_LEVEL");
    ENUM_IS(FT_IRQL, 12, "SYNCH_LEVEL");
    ENUM_IS(FT_IRQL, 31, "HIGH_LEVEL");
    ENUM_IS(FT_IRQL, 3, NULL);
    ENUM_IS(FT_STATE, 5, "Waiting");
    ENUM_IS(FT_WAITREASON, 37, "WrAlertByThreadId");
    ENUM_IS(FT_MODE, 1, "UserMode");
    ENUM_IS(FT_STATUS, 0, "STATUS_SUCCESS");
    ENUM_IS(FT_STATUS, 63, "STATUS_WAIT_63");
    ENUM_IS(FT_STATUS, 0xBF, "STATUS_ABANDONED_WAIT_63");
    ENUM_IS(FT_STATUS, 0x102, "STATUS_TIMEOUT");
    ENUM_IS(FT_STATUS, 0xC0000001, "STATUS_UNSUCCESSFUL");  /* keyed by the low 32 bits */
    ENUM_IS(FT_STATUS, 0xC00000BB, "STATUS_NOT_SUPPORTED");
    ENUM_IS(FT_OBJTYPE, 9, "SynchronizationTimer");
    ENUM_IS(FT_OBJTYPE, 7, NULL);
    ENUM_IS(FT_WAITTYPE, 2, "Delay");
    ENUM_IS(FT_SWINT, 1, "APC_LEVEL");
    ENUM_IS(FT_SWINT, 2, "DISPATCH_LEVEL");
    ENUM_IS(FT_FIELD, FLD_SAVED_KAIP, "SavedApcState.KernelApcInProgress");
    /* field codes are stored in traces: new ones only ever come last */
    ENUM_IS(FT_FIELD, 17, "SpecialApcInProgress");
    ENUM_IS(FT_FIELD, 18, "StackAttachBuffer.KernelApcPending");
    ENUM_IS(FT_FIELD, 19, "StackAttachBuffer.UserApcPending");
    ENUM_IS(FT_FIELD, FLD__COUNT, NULL);
    ENUM_IS(FT_APCKIND, 2, "User");
    ENUM_IS(FT_ENV, 3, "InsertApcEnvironment");
    ENUM_IS(FT_ROUTINE, 6, "Syscall");
    ENUM_IS(FT_REFUSE, 1, "AlreadyInserted");
    ENUM_IS(FT_QPOS, 2, "after-specials");
    ENUM_IS(FT_PRIOREASON, 3, "base-set");
    ENUM_IS(FT_BOOL, 0, "FALSE");
    ENUM_IS(FT_BOOL, 1, "TRUE");
    g_assert_cmpint(ENUM_COUNT(4 /* FT_IRQL */), ==, 7);
    g_assert_cmpint(ENUM_COUNT(16 /* FT_SWINT */), ==, 2);
    g_assert_cmpint(ENUM_COUNT(3 /* FT_BOOL */), ==, 2);
    g_assert_cmpint(ENUM_COUNT(17 /* FT_FIELD */), ==, FLD__COUNT);
    g_assert_cmpint(ENUM_COUNT(6 /* FT_WAITREASON */), ==, KWAIT_REASON__COUNT);
    g_assert_cmpint(ENUM_COUNT(8 /* FT_STATUS */), ==, 16 + 2 * 63);
    G_STATIC_ASSERT(FT_IRQL == 4 && FT_SWINT == 16 && FT_BOOL == 3 && FT_FIELD == 17 &&
                    FT_WAITREASON == 6 && FT_STATUS == 8);
#undef ENUM_IS
#undef ENUM_COUNT

    /* names, as last registered; NULL when registered without one */
    assert_q_text(db, "SELECT name FROM thread WHERE id = 2", "worker");
    assert_q_text(db, "SELECT name FROM thread WHERE id = 3", "o'brien");
    assert_q_text(db, "SELECT name FROM object WHERE id = 12", "timer \"one\"");
    assert_q_text(db, "SELECT name FROM process WHERE id = 101", "app");
    assert_q_text(db, "SELECT name FROM apc WHERE id = 1001", "dpc0");
    g_assert_cmpint(q_int(db, "SELECT count(*) FROM apc WHERE id = 1002 AND name IS NULL"), ==, 1);

    /* v_event: names resolved */
    g_assert_cmpint(sqlite3_prepare_v2(db, "SELECT seq, t, cpu, thread, kind, apc FROM v_event"
                                       " ORDER BY seq", -1, &st, NULL), ==, SQLITE_OK);
    for (guint i = 0; i < run->recs->len; i++) {
        const KTRACE_RECORD *want = run_rec(run, i);
        char *thread = want->thread == -1 ? NULL
                     : fake_name(run, "thread", want->thread)
                         ? g_strdup(fake_name(run, "thread", want->thread))
                         : g_strdup_printf("#%" PRId32, want->thread);
        char *apc = NULL;

        if (ktrace_kind_info[want->kind].obj_type == FT_APC && want->obj != -1)
            apc = fake_name(run, "apc", want->obj) ? g_strdup(fake_name(run, "apc", want->obj))
                                                    : g_strdup_printf("#%" PRId32, want->obj);
        g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
        g_assert_cmpint(sqlite3_column_int64(st, 0), ==, i + 1);
        g_assert_cmpint(sqlite3_column_int64(st, 1), ==, want->t);
        if (want->cpu == -1)
            g_assert_cmpint(sqlite3_column_type(st, 2), ==, SQLITE_NULL);
        else
            g_assert_cmpint(sqlite3_column_int(st, 2), ==, want->cpu);
        g_assert_cmpstr((const char *)sqlite3_column_text(st, 3), ==, thread);
        g_assert_cmpstr((const char *)sqlite3_column_text(st, 4), ==, ktrace_kind_info[want->kind].name);
        g_assert_cmpstr((const char *)sqlite3_column_text(st, 5), ==, apc);
        g_free(thread);
        g_free(apc);
    }
    sqlite3_finalize(st);
    assert_q_text(db, "SELECT detail FROM v_event WHERE seq = 1",
                  "cpus=2 seed=42 clock_tick=1000000 quantum=6 switch_cost=inf");
    assert_q_text(db, "SELECT detail FROM v_event WHERE seq = 4",
                  "ev type=WaitAny mode=UserMode alertable=TRUE timeout=inf count=1");

    /* v_mark: the MARK rows, irql as a number, mode by name */
    {
        guint marks = 0, m = 0;

        for (guint i = 0; i < run->recs->len; i++)
            marks += run_rec(run, i)->kind == TR_MARK;
        g_assert_cmpuint(marks, >, 1);
        g_assert_cmpint(q_int(db, "SELECT count(*) FROM v_mark"), ==, marks);
        g_assert_cmpint(sqlite3_prepare_v2(db, "SELECT seq, t, cpu, thread, irql, mode, label"
                                           " FROM v_mark ORDER BY seq", -1, &st, NULL), ==, SQLITE_OK);
        for (guint i = 0; i < run->recs->len; i++) {
            const KTRACE_RECORD *want = run_rec(run, i);
            const char *mode = want->b == 0 ? "KernelMode" : want->b == 1 ? "UserMode" : NULL;
            char num[24];

            if (want->kind != TR_MARK)
                continue;
            m++;
            g_snprintf(num, sizeof num, "%" PRId64, want->b);
            g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
            g_assert_cmpint(sqlite3_column_int64(st, 0), ==, i + 1);
            g_assert_cmpint(sqlite3_column_int64(st, 4), ==, want->a);
            g_assert_cmpstr((const char *)sqlite3_column_text(st, 5), ==, mode ? mode : num);
            g_assert_cmpstr((const char *)sqlite3_column_text(st, 6), ==, want->text);
        }
        g_assert_cmpint(sqlite3_step(st), ==, SQLITE_DONE);
        g_assert_cmpuint(m, ==, marks);
        sqlite3_finalize(st);
        assert_q_text(db, "SELECT thread || ' ' || irql || ' ' || mode || ' ' || label FROM v_mark"
                          " WHERE seq = 3", "worker 0 UserMode hello");
    }

    /* the index is built at the end */
    g_assert_cmpint(q_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
                              " AND name = 'event_mark'"), ==, 1);

    sqlite3_close(db);
    fake_run_free(run);
    g_free(path);
    tmpdir_free(dir);
}

/* v_event.detail == trace_format_detail for every row: the emitted record
 * with the run's names, and the record read back from the row. */
static void
test_view_detail_matches_formatter(void)
{
    char *dir = tmpdir_new();
    char *path = g_build_filename(dir, "run.db", NULL);
    FakeRun *run = fake_run_new(2, 40, true);
    GString *want = g_string_new(NULL), *back = g_string_new(NULL);
    bool seen[TR__COUNT] = { false };
    GError *err = NULL;
    sqlite3_stmt *st;
    sqlite3 *db;
    guint n = 0;

    write_trace(path, run, "x");
    db = trace_open_readonly(path, true, NULL, &err);
    g_assert_no_error(err);
    g_assert_cmpint(sqlite3_prepare_v2(db, "SELECT v.seq, v.detail, " EVENT_COLUMNS_E
                                       " FROM v_event v JOIN event e ON e.seq = v.seq ORDER BY v.seq",
                                       -1, &st, NULL), ==, SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const KTRACE_RECORD *rec = run_rec(run, n);
        const char *detail = (const char *)sqlite3_column_text(st, 1);
        KTRACE_RECORD got = row_record(st, 2);

        g_assert_cmpint(sqlite3_column_int64(st, 0), ==, n + 1);
        trace_format_detail(rec, fake_name, run, want);
        trace_format_detail(&got, fake_name, run, back);
        if (g_strcmp0(detail, want->str) != 0)
            g_test_message("row %u kind %s: a=%" PRId64 " b=%" PRId64 " c=%" PRId64 " d=%" PRId64
                           " e=%" PRId64 " obj=%" PRId32, n + 1, ktrace_kind_info[rec->kind].name,
                           rec->a, rec->b, rec->c, rec->d, rec->e, rec->obj);
        g_assert_cmpstr(detail, ==, want->str);
        g_assert_cmpstr(back->str, ==, want->str);
        seen[rec->kind] = true;
        n++;
    }
    sqlite3_finalize(st);
    g_assert_cmpuint(n, ==, run->recs->len);
    g_assert_cmpuint(n, >, 20000);      /* several write batches */
    for (int k = 0; k < TR__COUNT; k++)
        g_assert_true(seen[k]);

    sqlite3_close(db);
    g_string_free(want, TRUE);
    g_string_free(back, TRUE);
    fake_run_free(run);
    g_free(path);
    tmpdir_free(dir);
}

/* A kind this build does not know (a newer trace): raw columns, in SQL as in C. */
static void
test_view_unknown_kind(void)
{
    char *dir = tmpdir_new();
    char *path = g_build_filename(dir, "run.db", NULL);
    FakeRun *run = fake_run_new(3, 1, false);
    KTRACE_RECORD rec = R(.t = 5, .kind = 999, .obj = 12, .a = 7, .e = -3, .text = "x\"y z");
    GString *want = g_string_new(NULL);
    sqlite3 *db;

    write_trace(path, run, "x");
    exec_rw(path, "INSERT INTO event(seq, t, kind, obj, a, e, text) VALUES(1000000, 5, 999, 12, 7, -3, 'x\"y z')");
    db = trace_open_readonly(path, true, NULL, NULL);
    g_assert_nonnull(db);
    trace_format_detail(&rec, fake_name, run, want);
    g_assert_cmpstr(want->str, ==, "obj=12 a=7 b=0 c=0 d=0 e=-3 x\"y z");
    assert_q_text(db, "SELECT detail FROM v_event WHERE seq = 1000000", want->str);
    assert_q_text(db, "SELECT kind FROM v_event WHERE seq = 1000000", "#999");
    assert_q_text(db, "SELECT apc FROM v_event WHERE seq = 1000000", NULL);
    sqlite3_close(db);
    g_string_free(want, TRUE);
    fake_run_free(run);
    g_free(path);
    tmpdir_free(dir);
}

/* ---- dump -------------------------------------------------------------------- */

static char *
dump_to_string(const char *path, int want_code)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    GError *err = NULL;
    int code;

    g_assert_nonnull(out);
    code = trace_dump(path, out, &err);
    fclose(out);
    g_assert_cmpint(code, ==, want_code);
    if (want_code == 0)
        g_assert_no_error(err);
    else
        g_assert_error(err, TRACE_ERROR, want_code);
    g_clear_error(&err);
    return buf;
}

static void
test_dump_stable(void)
{
    char *dir = tmpdir_new();
    char *a = g_build_filename(dir, "a.db", NULL);
    char *b = g_build_filename(dir, "b.db", NULL);
    FakeRun *run = fake_run_new(4, 5, false);
    FakeRun *run2 = fake_run_new(4, 5, false);
    char *d1, *d2, *d3;
    char **lines;
    guint meta_lines = 0, n = 0;
    GString *want = g_string_new(NULL), *detail = g_string_new(NULL);

    write_trace(a, run, "Mon 12:00");
    write_trace(b, run2, "Tue 13:00");      /* the same run, another wall clock */
    d1 = dump_to_string(a, 0);
    d2 = dump_to_string(a, 0);
    d3 = dump_to_string(b, 0);
    g_assert_cmpstr(d1, ==, d2);
    g_assert_cmpstr(d1, ==, d3);
    g_assert_null(strstr(d1, "volatile"));
    g_assert_true(g_str_has_prefix(d1,
        "# apcsim_version = test\n"
        "# complete = 1\n"
        "# cpus = 2\n"));
    g_assert_nonnull(strstr(d1,
        "# schema_version = 1\n"
        "# seed = 42\n"
        "1 0 - - RUN_BEGIN cpus=2 seed=42 clock_tick=1000000 quantum=6 switch_cost=inf\n"
        "2 0 - - PROCESS_CREATE system\n"
        "3 100 0 worker MARK irql=PASSIVE_LEVEL mode=UserMode \"hello\"\n"
        "4 150 0 worker WAIT_BEGIN ev type=WaitAny mode=UserMode alertable=TRUE timeout=inf count=1\n"
        "5 200 1 idle0 APC_INSERT apc1 state=1 list=UserMode pos=tail increment=2 env=OriginalApcEnvironment\n"
        "6 250 0 worker SYSCALL_ENTER\n"));

    /* every event line is what the C formatter gives */
    lines = g_strsplit(d1, "\n", -1);
    for (char **l = lines; *l && **l; l++) {
        if ((*l)[0] == '#') {
            g_assert_cmpuint(n, ==, 0);     /* meta first */
            meta_lines++;
            continue;
        }

        const KTRACE_RECORD *rec = run_rec(run, n);
        const char *thread = rec->thread == -1 ? "-" : fake_name(run, "thread", rec->thread);
        char tbuf[24], cbuf[24];

        if (!thread) {
            g_snprintf(tbuf, sizeof tbuf, "#%" PRId32, rec->thread);
            thread = tbuf;
        }
        g_snprintf(cbuf, sizeof cbuf, "%" PRId32, rec->cpu);
        trace_format_detail(rec, fake_name, run, detail);
        g_string_printf(want, "%u %" PRId64 " %s %s %s%s%s", n + 1, rec->t,
                        rec->cpu == -1 ? "-" : cbuf, thread, ktrace_kind_info[rec->kind].name,
                        detail->len ? " " : "", detail->str);
        g_assert_cmpstr(*l, ==, want->str);
        n++;
    }
    g_assert_cmpuint(meta_lines, ==, 7);    /* 8 keys, one volatile */
    g_assert_cmpuint(n, ==, run->recs->len);
    g_strfreev(lines);

    g_string_free(want, TRUE);
    g_string_free(detail, TRUE);
    g_free(d1);
    g_free(d2);
    g_free(d3);
    fake_run_free(run);
    fake_run_free(run2);
    g_free(a);
    g_free(b);
    tmpdir_free(dir);
}

/* ---- file discipline --------------------------------------------------------- */

static void
test_writer_temp_file(void)
{
    char *dir = tmpdir_new();
    char *path = g_build_filename(dir, "run.db", NULL);
    char *old = g_build_filename(dir, "old.db", NULL);
    char *want_tmp = g_strdup_printf("%s.tmp-%ld", path, (long)getpid());
    FakeRun *run = fake_run_new(5, 300, false);     /* > 1 batch */
    GError *err = NULL;
    TraceStore *ts;
    KTRACE_SINK sink;
    char *tmp, *contents, *listing;

    /* no file under the final name until finish */
    ts = trace_store_open(path, &err);
    g_assert_no_error(err);
    tmp = g_strdup(trace_store_tmp_path(ts));
    g_assert_cmpstr(tmp, ==, want_tmp);
    g_assert_true(exists(tmp));
    g_assert_false(exists(path));
    trace_store_meta(ts, "scenario", "x");
    sink = trace_store_sink(ts);
    fake_run_emit(run, &sink);
    g_assert_cmpint(trace_store_rows(ts), >, 10000);
    g_assert_false(exists(path));
    g_assert_true(exists(tmp));
    g_assert_true(trace_store_finish(ts, &err));
    g_assert_no_error(err);
    g_assert_true(exists(path));
    g_assert_false(exists(tmp));
    listing = dir_listing(dir);
    g_assert_cmpstr(listing, ==, "run.db");
    g_free(listing);
    g_free(tmp);

    /* an older file under the final name stays as it is until the rename */
    g_assert_true(g_file_set_contents(old, "an older trace", -1, NULL));
    ts = trace_store_open(old, &err);
    g_assert_no_error(err);
    sink = trace_store_sink(ts);
    fake_run_emit(run, &sink);
    g_assert_true(g_file_get_contents(old, &contents, NULL, NULL));
    g_assert_cmpstr(contents, ==, "an older trace");
    g_free(contents);
    g_assert_true(trace_store_finish(ts, &err));
    g_assert_no_error(err);
    {
        sqlite3 *db = trace_open_readonly(old, true, NULL, &err);

        g_assert_no_error(err);
        g_assert_cmpint(q_int(db, "SELECT count(*) FROM event"), ==, run->recs->len);
        sqlite3_close(db);
    }
    listing = dir_listing(dir);
    g_assert_cmpstr(listing, ==, "old.db run.db");
    g_free(listing);

    fake_run_free(run);
    g_free(want_tmp);
    g_free(old);
    g_free(path);
    tmpdir_free(dir);
}

static void
test_writer_abandon(void)
{
    char *dir = tmpdir_new();
    char *path = g_build_filename(dir, "run.db", NULL);
    FakeRun *run = fake_run_new(6, 300, false);
    GError *err = NULL;
    TraceStore *ts;
    KTRACE_SINK sink;
    char *partial = NULL, *listing, *want_partial, *d, *events;
    sqlite3 *db;
    int code = -1;

    ts = trace_store_open(path, &err);
    g_assert_no_error(err);
    trace_store_meta(ts, "scenario", "interrupted.lua");
    sink = trace_store_sink(ts);
    fake_run_emit(run, &sink);
    g_assert_true(trace_store_abandon(ts, &partial, &err));
    g_assert_no_error(err);
    want_partial = g_strconcat(path, ".partial", NULL);
    g_assert_cmpstr(partial, ==, want_partial);
    g_assert_false(exists(path));
    listing = dir_listing(dir);
    g_assert_cmpstr(listing, ==, "run.db.partial");
    g_free(listing);

    /* refused where a complete run is required ... */
    db = trace_open_readonly(partial, true, &code, &err);
    g_assert_null(db);
    g_assert_cmpint(code, ==, TRACE_ERR_INCOMPLETE);
    g_assert_error(err, TRACE_ERROR, TRACE_ERR_INCOMPLETE);
    g_assert_nonnull(strstr(err->message, partial));
    g_assert_nonnull(strstr(err->message, "is from a run that did not complete (meta.complete = 0;"));
    g_clear_error(&err);

    /* ... readable otherwise, with every row */
    db = trace_open_readonly(partial, false, &code, &err);
    g_assert_no_error(err);
    g_assert_cmpint(code, ==, 0);
    g_assert_cmpint(q_int(db, "SELECT count(*) FROM event"), ==, run->recs->len);
    assert_q_text(db, "SELECT value FROM meta WHERE key = 'complete'", "0");
    events = g_strdup_printf("%u", run->recs->len);
    assert_q_text(db, "SELECT value FROM meta WHERE key = 'events'", events);
    g_free(events);
    sqlite3_close(db);
    /* dump refuses it (14) unless told --partial */
    g_free(dump_to_string(partial, TRACE_ERR_INCOMPLETE));
    trace_allow_partial = true;
    d = dump_to_string(partial, 0);
    trace_allow_partial = false;
    g_assert_nonnull(strstr(d, "# complete = 0\n"));
    g_free(d);

    fake_run_free(run);
    g_free(want_partial);
    g_free(partial);
    g_free(path);
    tmpdir_free(dir);
}

static void
test_writer_open_fails(void)
{
    char *dir = tmpdir_new();
    char *path = g_build_filename(dir, "no-such-dir", "run.db", NULL);
    GError *err = NULL;
    TraceStore *ts = trace_store_open(path, &err);
    char *listing;

    g_assert_null(ts);
    g_assert_error(err, TRACE_ERROR, TRACE_ERR_WRITE);
    g_assert_nonnull(strstr(err->message, path));
    g_clear_error(&err);
    listing = dir_listing(dir);
    g_assert_cmpstr(listing, ==, "");
    g_free(listing);
    g_free(path);
    tmpdir_free(dir);
}

/* The final path is a directory: the rename fails, finish says so, and the
 * temporary file goes away. */
static void
test_writer_rename_fails(void)
{
    char *dir = tmpdir_new();
    char *path = g_build_filename(dir, "run.db", NULL);
    char *inside = g_build_filename(path, "keep", NULL);
    FakeRun *run = fake_run_new(7, 1, false);
    GError *err = NULL;
    TraceStore *ts;
    KTRACE_SINK sink;
    char *listing;

    g_assert_cmpint(g_mkdir(path, 0700), ==, 0);
    g_assert_true(g_file_set_contents(inside, "x", -1, NULL));
    ts = trace_store_open(path, &err);
    g_assert_no_error(err);
    sink = trace_store_sink(ts);
    fake_run_emit(run, &sink);
    g_assert_false(trace_store_finish(ts, &err));
    g_assert_error(err, TRACE_ERROR, TRACE_ERR_WRITE);
    g_assert_nonnull(strstr(err->message, "cannot rename"));
    g_assert_nonnull(strstr(err->message, "no trace was written to"));
    g_clear_error(&err);
    listing = dir_listing(dir);
    g_assert_cmpstr(listing, ==, "run.db");     /* the directory alone */
    g_free(listing);
    g_assert_cmpint(g_remove(inside), ==, 0);
    g_assert_cmpint(g_rmdir(path), ==, 0);

    fake_run_free(run);
    g_free(inside);
    g_free(path);
    tmpdir_free(dir);
}

/*
 * Disk full, simulated with RLIMIT_FSIZE in a forked child (SIGXFSZ ignored,
 * as main does, so the write fails with EFBIG instead of killing). The
 * child's exit status says which check failed (0 = all passed).
 */
static int
disk_full_child(const char *path, bool abandon)
{
    struct rlimit rl;
    GError *err = NULL;
    TraceStore *ts;
    KTRACE_SINK sink;
    char text[64];
    int i;

    signal(SIGXFSZ, SIG_IGN);
    if (getrlimit(RLIMIT_FSIZE, &rl) != 0)
        return 10;
    rl.rlim_cur = 2 * 1024 * 1024;     /* a few batches of MARK rows */
    if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
        return 11;
    ts = trace_store_open(path, &err);
    if (!ts) {
        fprintf(stderr, "open: %s\n", err->message);
        return 12;
    }
    sink = trace_store_sink(ts);
    /* No trace_store_error() in the loop: it would end the writer thread,
     * and the error must come back from the thread too. ~20 MB of rows. */
    for (i = 0; i < 200000; i++) {
        KTRACE_RECORD rec = { .t = i, .kind = TR_MARK, .cpu = 0, .thread = 1, .obj = -1,
                              .a = 0, .b = 1, .text = text };

        g_snprintf(text, sizeof text, "mark number %d of a run that fills the disk", i);
        sink.emit(sink.ctx, &rec);
    }
    if (!trace_store_error(ts))
        return 13;
    if (!strstr(trace_store_error(ts)->message, "cannot write the trace") ||
        !strstr(trace_store_error(ts)->message, path)) {
        fprintf(stderr, "error: %s\n", trace_store_error(ts)->message);
        return 14;
    }
    if (!abandon) {
        if (trace_store_finish(ts, &err))
            return 16;
        if (!g_error_matches(err, TRACE_ERROR, TRACE_ERR_WRITE) ||
            !strstr(err->message, "no trace was written to")) {
            fprintf(stderr, "finish: %s\n", err->message);
            return 17;
        }
        g_clear_error(&err);
        return exists(path) ? 18 : 0;
    }

    char *partial = NULL;
    gint64 rows;
    sqlite3 *db;

    if (trace_store_abandon(ts, &partial, &err))
        return 19;      /* rows were lost: abandon says so */
    if (!partial || !strstr(err->message, "keeps the first")) {
        fprintf(stderr, "abandon: %s\n", err ? err->message : "?");
        return 20;
    }
    g_clear_error(&err);
    if (exists(path))
        return 21;
    db = trace_open_readonly(partial, false, NULL, &err);
    if (!db) {
        fprintf(stderr, "reopen: %s\n", err->message);
        return 22;
    }
    rows = q_int(db, "SELECT count(*) FROM event");
    {
        char *events = q_text(db, "SELECT value FROM meta WHERE key = 'events'");
        char *complete = q_text(db, "SELECT value FROM meta WHERE key = 'complete'");
        int bad = rows <= 0 || g_ascii_strtoll(events ? events : "", NULL, 10) != rows ||
                  rows % 10000 != 0 || g_strcmp0(complete, "0") != 0;

        g_free(events);
        g_free(complete);
        if (bad)
            return 23;
    }
    sqlite3_close(db);
    g_free(partial);
    return 0;
}

static void
run_disk_full(bool abandon)
{
    char *dir = tmpdir_new();
    char *path = g_build_filename(dir, "full.db", NULL);
    char *listing;
    int status = 0;
    pid_t pid;

    fflush(NULL);
    pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0)
        _exit(disk_full_child(path, abandon));
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    listing = dir_listing(dir);
    g_assert_cmpstr(listing, ==, abandon ? "full.db.partial" : "");   /* no final, no temp */
    g_free(listing);
    g_free(path);
    tmpdir_free(dir);
}

static void
test_writer_disk_full(void)
{
    run_disk_full(false);
}

static void
test_writer_disk_full_abandon(void)
{
    run_disk_full(true);
}

/* ---- the reader's refusals --------------------------------------------------- */

static void
expect_refused(const char *path, bool require_complete, int want_code, const char *want_msg)
{
    GError *err = NULL;
    int code = -1;
    sqlite3 *db = trace_open_readonly(path, require_complete, &code, &err);

    g_assert_null(db);
    g_assert_cmpint(code, ==, want_code);
    g_assert_error(err, TRACE_ERROR, want_code);
    g_test_message("%s", err->message);
    if (!strstr(err->message, want_msg))
        g_test_message("want \"%s\" in: %s", want_msg, err->message);
    g_assert_nonnull(strstr(err->message, want_msg));
    g_assert_true(g_str_has_prefix(err->message, path));      /* names the file */
    g_assert_null(strchr(err->message, '\n'));                 /* one line */
    g_clear_error(&err);
    if (want_code != TRACE_ERR_INCOMPLETE)
        g_free(dump_to_string(path, want_code));
}

/* A directory with a finished trace "good.db" for the refusal tests. */
static char *
refusal_dir(char **good)
{
    char *dir = tmpdir_new();
    FakeRun *run = fake_run_new(8, 10, true);

    *good = g_build_filename(dir, "good.db", NULL);
    write_trace(*good, run, "x");
    fake_run_free(run);
    return dir;
}

static void
test_reader_missing(void)
{
    char *dir = tmpdir_new();
    char *path = g_build_filename(dir, "nope.db", NULL);

    expect_refused(path, true, TRACE_ERR_NOT_FOUND, "does not exist");
    expect_refused(dir, true, TRACE_ERR_NOT_FOUND, "is a directory");
    g_free(path);
    tmpdir_free(dir);
}

static void
test_reader_empty(void)
{
    char *dir = tmpdir_new();
    char *path = g_build_filename(dir, "empty.db", NULL);

    g_assert_true(g_file_set_contents(path, "", 0, NULL));
    expect_refused(path, true, TRACE_ERR_NOT_SQLITE, "is empty");
    g_free(path);
    tmpdir_free(dir);
}

static void
test_reader_garbage(void)
{
    char *dir = tmpdir_new();
    char *path = g_build_filename(dir, "garbage.db", NULL);
    GRand *g = g_rand_new_with_seed(9);
    guchar bytes[8192];

    for (gsize i = 0; i < sizeof bytes; i++)
        bytes[i] = (guchar)g_rand_int_range(g, 0, 256);
    g_assert_true(g_file_set_contents(path, (const char *)bytes, sizeof bytes, NULL));
    expect_refused(path, true, TRACE_ERR_NOT_SQLITE, "is not a SQLite database");

    /* the SQLite magic and a plausible size, then garbage: SQLite says NOTADB */
    memcpy(bytes, "SQLite format 3", 16);
    bytes[16] = 0x10;                   /* page size 4096 */
    bytes[17] = 0x00;
    bytes[18] = bytes[19] = 1;          /* legacy format, so SQLite reads on */
    bytes[21] = 0xFF;                   /* max payload fraction must be 64 */
    memcpy(bytes + 24, "\0\0\0\1\0\0\0\2", 8);     /* change counter 1, 2 pages */
    memcpy(bytes + 92, "\0\0\0\1", 4);             /* valid for change 1 */
    g_assert_true(g_file_set_contents(path, (const char *)bytes, sizeof bytes, NULL));
    expect_refused(path, true, TRACE_ERR_NOT_SQLITE, "is not a SQLite database or is damaged");

    /* the magic alone */
    g_assert_true(g_file_set_contents(path, "SQLite format 3", 16, NULL));
    expect_refused(path, true, TRACE_ERR_NOT_SQLITE, "is truncated");

    g_rand_free(g);
    g_free(path);
    tmpdir_free(dir);
}

static void
test_reader_truncated(void)
{
    char *good;
    char *dir = refusal_dir(&good);
    char *path = g_build_filename(dir, "half.db", NULL);
    gsize size = file_size(good);

    g_assert_cmpuint(size, >, 16 * 4096);
    copy_prefix(good, path, (gssize)(size / 2));
    expect_refused(path, true, TRACE_ERR_NOT_SQLITE, "is truncated");
    copy_prefix(good, path, 4096 + 100);
    expect_refused(path, true, TRACE_ERR_NOT_SQLITE, "is truncated");
    copy_prefix(good, path, 60);
    expect_refused(path, true, TRACE_ERR_NOT_SQLITE, "is truncated");
    g_free(path);
    g_free(good);
    tmpdir_free(dir);
}

static void
test_reader_foreign(void)
{
    char *dir = tmpdir_new();
    char *path = g_build_filename(dir, "other.db", NULL);
    char *path2 = g_build_filename(dir, "other2.db", NULL);

    exec_rw(path, "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
                  " INSERT INTO meta VALUES('complete', '1');");
    expect_refused(path, true, TRACE_ERR_FOREIGN,
                   "is a SQLite database but not an apcsim trace (application_id 0x00000000)");
    exec_rw(path2, "PRAGMA application_id = -559038737; CREATE TABLE t(x);");
    expect_refused(path2, true, TRACE_ERR_FOREIGN, "(application_id 0xDEADBEEF)");
    g_free(path);
    g_free(path2);
    tmpdir_free(dir);
}

static void
test_reader_version(void)
{
    char *good;
    char *dir = refusal_dir(&good);
    char *path = g_build_filename(dir, "v99.db", NULL);

    copy_prefix(good, path, -1);
    exec_rw(path, "PRAGMA user_version = 99");
    expect_refused(path, true, TRACE_ERR_VERSION,
                   "is an apcsim trace of schema version 99; this apcsim reads version 1");
    g_free(path);
    g_free(good);
    tmpdir_free(dir);
}

static void
test_reader_missing_tables(void)
{
    static const char *const tables[] = { "meta", "event", "kind" };
    char *good;
    char *dir = refusal_dir(&good);
    char *path = g_build_filename(dir, "damaged.db", NULL);

    for (gsize i = 0; i < G_N_ELEMENTS(tables); i++) {
        char *sql = g_strdup_printf("DROP TABLE %s", tables[i]);
        char *msg = g_strdup_printf("is damaged: it has no table %s", tables[i]);

        copy_prefix(good, path, -1);
        exec_rw(path, sql);
        expect_refused(path, true, TRACE_ERR_DAMAGED, msg);
        g_free(sql);
        g_free(msg);
    }
    copy_prefix(good, path, -1);
    exec_rw(path, "DROP VIEW v_event");
    expect_refused(path, true, TRACE_ERR_DAMAGED, "v_event");
    copy_prefix(good, path, -1);
    exec_rw(path, "DROP VIEW v_event; DROP TABLE kind;"
                  " CREATE TABLE kind(id INTEGER PRIMARY KEY, name TEXT)");
    expect_refused(path, true, TRACE_ERR_DAMAGED, "no such column");
    g_free(path);
    g_free(good);
    tmpdir_free(dir);
}

static void
test_reader_incomplete(void)
{
    char *good;
    char *dir = refusal_dir(&good);
    char *path = g_build_filename(dir, "nocomplete.db", NULL);
    sqlite3 *db;

    copy_prefix(good, path, -1);
    exec_rw(path, "DELETE FROM meta WHERE key = 'complete'");
    expect_refused(path, true, TRACE_ERR_INCOMPLETE, "did not complete (meta.complete = missing;");
    exec_rw(path, "INSERT INTO meta VALUES('complete', '0')");
    expect_refused(path, true, TRACE_ERR_INCOMPLETE, "did not complete (meta.complete = 0;");
    db = trace_open_readonly(path, false, NULL, NULL);     /* fine when not required */
    g_assert_nonnull(db);
    sqlite3_close(db);
    db = trace_open_readonly(good, true, NULL, NULL);
    g_assert_nonnull(db);
    sqlite3_close(db);
    g_free(path);
    g_free(good);
    tmpdir_free(dir);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/trace/format/examples", test_format_examples);
    g_test_add_func("/trace/writer/roundtrip", test_writer_roundtrip);
    g_test_add_func("/trace/writer/temp-file", test_writer_temp_file);
    g_test_add_func("/trace/writer/abandon", test_writer_abandon);
    g_test_add_func("/trace/writer/open-fails", test_writer_open_fails);
    g_test_add_func("/trace/writer/rename-fails", test_writer_rename_fails);
    g_test_add_func("/trace/writer/disk-full", test_writer_disk_full);
    g_test_add_func("/trace/writer/disk-full-abandon", test_writer_disk_full_abandon);
    g_test_add_func("/trace/view/detail-matches-formatter", test_view_detail_matches_formatter);
    g_test_add_func("/trace/view/unknown-kind", test_view_unknown_kind);
    g_test_add_func("/trace/dump/stable", test_dump_stable);
    g_test_add_func("/trace/reader/refuse-missing", test_reader_missing);
    g_test_add_func("/trace/reader/refuse-empty", test_reader_empty);
    g_test_add_func("/trace/reader/refuse-garbage", test_reader_garbage);
    g_test_add_func("/trace/reader/refuse-truncated", test_reader_truncated);
    g_test_add_func("/trace/reader/refuse-foreign", test_reader_foreign);
    g_test_add_func("/trace/reader/refuse-version", test_reader_version);
    g_test_add_func("/trace/reader/refuse-missing-tables", test_reader_missing_tables);
    g_test_add_func("/trace/reader/refuse-incomplete", test_reader_incomplete);

    return g_test_run();
}
