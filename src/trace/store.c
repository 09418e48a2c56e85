/*
 * store.c - the trace writer: a KTRACE_SINK that loads a run into SQLite.
 *
 * Workload: one thread emits from a few hundred to tens of millions of rows,
 * one call per state transition; names and meta rows are few. The rows are
 * worth nothing until the run ends, so the load trades durability for speed:
 *
 *   - statements are prepared once; rows go in transactions of
 *     TRACE__BATCH_ROWS rows (a COMMIT per row would cost a journal cycle
 *     per row);
 *   - journal_mode=MEMORY and synchronous=OFF while loading; a crash leaves a
 *     temporary file that nothing will ever open as a trace. Not WAL: the
 *     finished trace must be one self-contained file, with no -wal/-shm
 *     beside it. Not journal_mode=OFF either: with no journal a failed
 *     write (disk full) cannot be rolled back and the partial trace that
 *     trace_store_abandon keeps would be damaged;
 *   - locking_mode=EXCLUSIVE: no other connection has business in the file;
 *   - no index during the load; trace__schema_index runs at the end;
 *   - the last transaction (meta complete=1, events=N) is synced
 *     (synchronous=FULL) before the rename, so a crash right after the
 *     rename cannot leave a complete-looking trace with missing pages.
 *
 * File names: the trace is written to "<final>.tmp-<pid>" in the directory
 * of the final path (so rename() is atomic: same file system), renamed to
 * <final> by trace_store_finish, or to "<final>.partial" (meta complete=0)
 * by trace_store_abandon. A file under the final name is therefore always a
 * complete trace. A stale temporary file of a dead process with our pid is
 * removed at open.
 *
 * The writer thread: the simulation and SQLite each keep one core busy, so
 * the sink only copies each row (text included) into a batch of
 * STORE_BATCH_ITEMS and hands full batches to a writer thread, which binds,
 * inserts, commits and writes the replay checkpoints exactly as a
 * synchronous store would, in the same order; the file is the same byte for
 * byte. At most STORE_BATCHES batches exist: a simulation that outruns
 * SQLite waits for a free one. Every call other than the sink's (meta,
 * error, rows, finish, abandon) first drains the queue and joins the writer;
 * from then on the store is synchronous again. The writer thread blocks
 * every signal, so SIGINT/SIGTERM still reach the simulation's thread.
 * APCSIM_TRACE_THREAD=0 in the environment writes synchronously (no thread).
 *
 * Errors: the first SQLite error (disk full, a write error from
 * RLIMIT_FSIZE, ...) is kept in ts->error and the sink stops writing; the
 * run goes on and ends as usual, and finish then fails (removing the
 * temporary file) while abandon keeps the rows committed before the error.
 */
#include "trace/trace_int.h"
#include "trace/replay.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <pthread.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

G_DEFINE_QUARK(apcsim-trace-error-quark, trace_error)

/* The name tables, in the order of TraceStore.ins_name. */
static const char *const name_tables[] = { "thread", "object", "process", "apc" };
#define N_NAME_TABLES ((int)G_N_ELEMENTS(name_tables))

/* One row handed to the writer: an event or a name (text in the batch's arena). */
typedef struct {
    KTRACE_RECORD rec;          /* rec.text is NULL here; see text_off */
    int32_t text_off;           /* offset of the text in StoreBatch.text, or -1 */
    int16_t name_table;         /* -1: an event; else a name row (id in rec.obj) */
} StoreItem;

#define STORE_BATCH_ITEMS 8192
#define STORE_BATCHES 4

typedef struct {
    StoreItem items[STORE_BATCH_ITEMS];
    int n;
    GString *text;
} StoreBatch;

/*
 * Invariants: rows = the seq of the last row written = committed + batch;
 * while error is NULL a write transaction is open (from trace_store_open to
 * finish/abandon); once error is set nothing more is written through the
 * sink.
 */
struct TraceStore {
    sqlite3 *db;
    char *final_path;
    char *tmp_path;
    sqlite3_stmt *ins_event;        /* INSERT INTO event */
    sqlite3_stmt *ins_meta;         /* INSERT OR REPLACE INTO meta */
    sqlite3_stmt *ins_name[4];      /* INSERT OR REPLACE INTO thread/object/process/apc */
    gint64 rows;                    /* rows written (seq of the last one) */
    gint64 committed;               /* rows in committed transactions */
    int batch;                      /* rows in the open transaction */
    GError *error;                  /* the first write error; the sink is off after it */
    ReplayCheckpointer *checkpoints; /* replay state saved every so many rows (replay.c) */
    /* The writer thread (NULL: synchronous). The simulation's thread owns
     * cur; full and empty are shared under lock. */
    GThread *writer;
    GMutex lock;
    GCond cond;
    GQueue full;                    /* batches waiting for the writer, oldest first */
    GQueue empty;                   /* batches free for the sink */
    bool closing;                   /* no more batches: the writer exits when full is empty */
    StoreBatch *cur;                /* the batch the sink is filling */
    gint failed;                    /* atomic: the writer met an error (the sink stops copying) */
};

/* Record the first error: what failed and SQLite's (and the OS's) reason.
 * SQLite does not always keep the errno of a failed write (it is 0 after an
 * EFBIG from RLIMIT_FSIZE), hence the hint for write errors. */
static void
store_fail(TraceStore *ts, int rc, const char *what)
{
    int eno = sqlite3_system_errno(ts->db);
    const char *hint = "";

    if (ts->error)
        return;
    if ((rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_CANTOPEN) {
        if (eno)
            hint = g_strerror(eno);
        else if (rc == SQLITE_IOERR_WRITE || rc == SQLITE_IOERR_TRUNCATE || rc == SQLITE_IOERR_FSYNC)
            hint = "is the disk full or the file size limit reached?";
    }
    g_set_error(&ts->error, TRACE_ERROR, TRACE_ERR_WRITE, "cannot write the trace %s (%s): %s%s%s%s",
                ts->final_path, what, sqlite3_errmsg(ts->db),
                hint[0] ? " (" : "", hint, hint[0] ? ")" : "");
}

static bool
store_exec(TraceStore *ts, const char *sql, const char *what)
{
    int rc;

    if (ts->error)
        return false;
    rc = sqlite3_exec(ts->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        store_fail(ts, rc, what);
        return false;
    }
    return true;
}

/* Step a bound insert and reset it; records an error. */
static bool
store_step(TraceStore *ts, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);

    if (rc != SQLITE_DONE)
        store_fail(ts, rc, what);
    sqlite3_reset(st);
    return rc == SQLITE_DONE;
}

static bool
store_put_meta(TraceStore *ts, const char *key, const char *value)
{
    if (ts->error)
        return false;
    sqlite3_bind_text(ts->ins_meta, 1, key, -1, SQLITE_TRANSIENT);
    if (value)
        sqlite3_bind_text(ts->ins_meta, 2, value, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(ts->ins_meta, 2);
    return store_step(ts, ts->ins_meta, "meta row");
}

/* Commit the open batch and open the next transaction. */
static void
store_commit_batch(TraceStore *ts)
{
    if (!store_exec(ts, "COMMIT", "commit"))
        return;
    ts->committed = ts->rows;
    ts->batch = 0;
    store_exec(ts, "BEGIN", "begin");
}

/* Bind -1 (not applicable) as NULL. */
static void
bind_id(sqlite3_stmt *st, int i, int32_t v)
{
    if (v == -1)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_int(st, i, v);
}

/* Insert one event row (and any replay checkpoint it completes). */
static void
store_write_event(TraceStore *ts, const KTRACE_RECORD *rec)
{
    sqlite3_stmt *st = ts->ins_event;

    if (ts->error)
        return;

    const KTRACE_KIND_INFO *ki = &ktrace_kind_info[rec->kind];
    const int64_t field[5] = { rec->a, rec->b, rec->c, rec->d, rec->e };

    sqlite3_bind_int64(st, 2, rec->t);
    sqlite3_bind_int(st, 3, rec->kind);
    bind_id(st, 4, rec->cpu);
    bind_id(st, 5, rec->thread);
    bind_id(st, 6, rec->obj);
    for (int i = 0; i < 5; i++) {
        /* An unused field is NULL; a non-zero value in it (a kernel bug by
         * the KTRACE_KINDS contract) is kept rather than lost. */
        if (ki->type[i] == FT_NONE && field[i] == 0)
            sqlite3_bind_null(st, 7 + i);
        else
            sqlite3_bind_int64(st, 7 + i, field[i]);
    }
    if (rec->text)
        sqlite3_bind_text(st, 12, rec->text, -1, SQLITE_TRANSIENT);  /* borrowed */
    else
        sqlite3_bind_null(st, 12);
    if (!store_step(ts, st, "event row"))
        return;
    ts->rows++;
    if (sqlite3_last_insert_rowid(ts->db) != ts->rows) {
        g_set_error(&ts->error, TRACE_ERROR, TRACE_ERR_WRITE,
                    "cannot write the trace %s: row %" G_GINT64_FORMAT " got seq %lld",
                    ts->final_path, ts->rows, (long long)sqlite3_last_insert_rowid(ts->db));
        return;
    }
    int rc = replay_checkpoint_rows(ts->checkpoints, ts->db, ts->rows, rec);
    if (rc != SQLITE_OK) {
        store_fail(ts, rc, "replay checkpoint");
        return;
    }
    if (++ts->batch >= TRACE__BATCH_ROWS)
        store_commit_batch(ts);
}

static void
store_write_name(TraceStore *ts, int i, int32_t id, const char *name)
{
    if (ts->error)
        return;
    sqlite3_bind_int(ts->ins_name[i], 1, id);
    if (name)
        sqlite3_bind_text(ts->ins_name[i], 2, name, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(ts->ins_name[i], 2);
    store_step(ts, ts->ins_name[i], "name row");
}

/* Write every row of a batch; empties it. Runs on the writer thread. */
static void
store_write_batch(TraceStore *ts, StoreBatch *b)
{
    for (int i = 0; i < b->n; i++) {
        StoreItem *it = &b->items[i];

        it->rec.text = it->text_off >= 0 ? b->text->str + it->text_off : NULL;
        if (it->name_table < 0)
            store_write_event(ts, &it->rec);
        else
            store_write_name(ts, it->name_table, it->rec.obj, it->rec.text);
    }
    if (ts->error)
        g_atomic_int_set(&ts->failed, 1);
    b->n = 0;
    g_string_truncate(b->text, 0);
}

static gpointer
store_writer_main(gpointer data)
{
    TraceStore *ts = data;

    g_mutex_lock(&ts->lock);
    for (;;) {
        StoreBatch *b = g_queue_pop_head(&ts->full);

        if (!b) {
            if (ts->closing)
                break;
            g_cond_wait(&ts->cond, &ts->lock);
            continue;
        }
        g_mutex_unlock(&ts->lock);
        store_write_batch(ts, b);
        g_mutex_lock(&ts->lock);
        g_queue_push_tail(&ts->empty, b);
        g_cond_broadcast(&ts->cond);
    }
    g_mutex_unlock(&ts->lock);
    return NULL;
}

/* Start the writer thread (with every signal blocked in it). Falls back to
 * synchronous writes if the thread cannot be created. */
static void
store_start_writer(TraceStore *ts)
{
    const char *env = g_getenv("APCSIM_TRACE_THREAD");
    sigset_t all, old;

    if (env && strcmp(env, "0") == 0)
        return;
    g_mutex_init(&ts->lock);
    g_cond_init(&ts->cond);
    for (int i = 0; i < STORE_BATCHES; i++) {
        StoreBatch *b = g_new(StoreBatch, 1);

        b->n = 0;
        b->text = g_string_sized_new(256);
        g_queue_push_tail(&ts->empty, b);
    }
    ts->cur = g_queue_pop_head(&ts->empty);
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    ts->writer = g_thread_try_new("trace-writer", store_writer_main, ts, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!ts->writer) {
        /* no thread: write synchronously */
        g_queue_push_tail(&ts->empty, ts->cur);
        ts->cur = NULL;
    }
}

/* Hand the sink's batch to the writer and take an empty one (waits for one). */
static void
store_submit(TraceStore *ts)
{
    g_mutex_lock(&ts->lock);
    g_queue_push_tail(&ts->full, ts->cur);
    g_cond_broadcast(&ts->cond);
    while (g_queue_is_empty(&ts->empty))
        g_cond_wait(&ts->cond, &ts->lock);
    ts->cur = g_queue_pop_head(&ts->empty);
    g_mutex_unlock(&ts->lock);
}

/* Drain the queue and join the writer: afterwards the store is synchronous
 * and ts->error, ts->rows are final for what was emitted. */
static void
store_join(TraceStore *ts)
{
    StoreBatch *b;

    if (ts->writer) {
        g_mutex_lock(&ts->lock);
        if (ts->cur->n)
            g_queue_push_tail(&ts->full, ts->cur);
        else
            g_queue_push_tail(&ts->empty, ts->cur);
        ts->cur = NULL;
        ts->closing = true;
        g_cond_broadcast(&ts->cond);
        g_mutex_unlock(&ts->lock);
        g_thread_join(ts->writer);
        ts->writer = NULL;
        g_mutex_clear(&ts->lock);
        g_cond_clear(&ts->cond);
    }
    while ((b = g_queue_pop_head(&ts->empty)) != NULL) {
        g_string_free(b->text, TRUE);
        g_free(b);
    }
}

/* Queue one item; returns it for the caller to fill (NULL: write directly). */
static StoreItem *
store_queue_item(TraceStore *ts, const char *text)
{
    StoreBatch *b = ts->cur;

    if (b->n == STORE_BATCH_ITEMS)
        store_submit(ts), b = ts->cur;
    StoreItem *it = &b->items[b->n++];

    it->text_off = -1;
    if (text) {
        it->text_off = (int32_t)b->text->len;
        g_string_append_len(b->text, text, (gssize)strlen(text) + 1);
    }
    return it;
}

/* The sink's emit: copy the row for the writer (or write it now). */
static void
store_emit(void *ctx, const KTRACE_RECORD *rec)
{
    TraceStore *ts = ctx;

    g_assert(rec->kind >= 0 && rec->kind < TR__COUNT);
    if (!ts->writer) {
        store_write_event(ts, rec);
        return;
    }
    if (g_atomic_int_get(&ts->failed))
        return;
    StoreItem *it = store_queue_item(ts, rec->text);

    it->rec = *rec;
    it->rec.text = NULL;
    it->name_table = -1;
}

static void
store_name(void *ctx, const char *what, int32_t id, const char *name)
{
    TraceStore *ts = ctx;
    int i;

    for (i = 0; i < N_NAME_TABLES; i++)
        if (strcmp(what, name_tables[i]) == 0)
            break;
    g_return_if_fail(i < N_NAME_TABLES);
    if (!ts->writer) {
        store_write_name(ts, i, id, name);
        return;
    }
    if (g_atomic_int_get(&ts->failed))
        return;
    StoreItem *it = store_queue_item(ts, name);

    memset(&it->rec, 0, sizeof it->rec);
    it->rec.obj = id;
    it->name_table = (int16_t)i;
}

/* Finalize the statements and close the database (records a close error). */
static void
store_close_db(TraceStore *ts)
{
    int rc;

    sqlite3_finalize(ts->ins_event);
    sqlite3_finalize(ts->ins_meta);
    for (int i = 0; i < N_NAME_TABLES; i++)
        sqlite3_finalize(ts->ins_name[i]);
    ts->ins_event = ts->ins_meta = NULL;
    memset(ts->ins_name, 0, sizeof ts->ins_name);
    if (!ts->db)
        return;
    rc = sqlite3_close(ts->db);
    if (rc != SQLITE_OK) {
        if (!ts->error)
            g_set_error(&ts->error, TRACE_ERROR, TRACE_ERR_WRITE,
                        "cannot write the trace %s (close): %s", ts->final_path, sqlite3_errstr(rc));
        sqlite3_close_v2(ts->db);
    }
    ts->db = NULL;
}

static void
store_free(TraceStore *ts)
{
    store_join(ts);
    g_clear_error(&ts->error);
    replay_checkpointer_free(ts->checkpoints);
    g_free(ts->final_path);
    g_free(ts->tmp_path);
    g_free(ts);
}

/* Close, remove the temporary file and free: nothing is left on disk. */
static void
store_discard(TraceStore *ts)
{
    store_close_db(ts);
    (void)unlink(ts->tmp_path);
    store_free(ts);
}

/* End the load: commit the last batch, build the indices and write the
 * final meta rows in one synced transaction. */
static bool
store_seal(TraceStore *ts, bool complete)
{
    char events[32];

    if (!store_exec(ts, "COMMIT", "commit"))
        return false;
    ts->committed = ts->rows;
    ts->batch = 0;
    store_exec(ts, "PRAGMA synchronous = FULL", "finish");
    store_exec(ts, "BEGIN", "finish");
    if (!ts->error) {
        int rc = trace__schema_index(ts->db);

        if (rc != SQLITE_OK)
            store_fail(ts, rc, "index");
    }
    g_snprintf(events, sizeof events, "%" G_GINT64_FORMAT, ts->rows);
    store_put_meta(ts, "events", events);
    store_put_meta(ts, "complete", complete ? "1" : "0");
    return store_exec(ts, "COMMIT", "finish");
}

/*
 * Creates "<final_path>.tmp-<pid>" with the schema, the lookup tables and
 * the meta rows complete=0, events=0, schema_version; opens the first write
 * transaction. Returns NULL with *err (code TRACE_ERR_WRITE) if the file
 * cannot be created or written; nothing is left on disk then.
 *
 * A write that passes RLIMIT_FSIZE raises SIGXFSZ, whose default action
 * kills the process: the program must ignore SIGXFSZ (main does) so that the
 * write fails with EFBIG and is reported as an error here instead.
 */
TraceStore *
trace_store_open(const char *final_path, GError **err)
{
    g_return_val_if_fail(final_path != NULL && final_path[0] != '\0', NULL);

    TraceStore *ts = g_new0(TraceStore, 1);
    char *pragmas = NULL;
    char *schema_err = NULL;
    int fd, rc;

    ts->final_path = g_strdup(final_path);
    ts->tmp_path = g_strdup_printf("%s.tmp-%ld", final_path, (long)getpid());
    ts->checkpoints = replay_checkpointer_new(0);

    /* A file of this name belongs to a dead process with our pid (or to
     * another store of ours for the same path, which is a caller's bug). */
    (void)unlink(ts->tmp_path);
    fd = open(ts->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) {
        int e = errno;

        g_set_error(err, TRACE_ERROR, TRACE_ERR_WRITE, "cannot create the trace %s: %s: %s",
                    final_path, ts->tmp_path, g_strerror(e));
        store_free(ts);
        return NULL;
    }
    close(fd);

    rc = sqlite3_open_v2(ts->tmp_path, &ts->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK)
        sqlite3_extended_result_codes(ts->db, 1);
    if (rc == SQLITE_OK) {
        pragmas = g_strdup_printf("PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF;"
                                  " PRAGMA locking_mode = EXCLUSIVE; PRAGMA cache_size = -16384;"
                                  " PRAGMA application_id = %d; PRAGMA user_version = %d;",
                                  (int)APCSIM_APPLICATION_ID, (int)APCSIM_SCHEMA_VERSION);
        rc = sqlite3_exec(ts->db, pragmas, NULL, NULL, NULL);
        g_free(pragmas);
    }
    if (rc == SQLITE_OK)
        rc = trace__schema_create(ts->db, &schema_err);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v3(ts->db,
                                /* seq is the rowid SQLite gives: 1, 2, ... in order
                                 * (its append path; an explicit seq costs a b-tree
                                 * seek per row); store_write_event checks it */
                                "INSERT INTO event(t, kind, cpu, thread, obj, a, b, c, d, e, text)"
                                " VALUES(?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                                -1, SQLITE_PREPARE_PERSISTENT, &ts->ins_event, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v3(ts->db, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)",
                                -1, SQLITE_PREPARE_PERSISTENT, &ts->ins_meta, NULL);
    for (int i = 0; rc == SQLITE_OK && i < N_NAME_TABLES; i++) {
        char *sql = g_strdup_printf("INSERT OR REPLACE INTO %s(id, name) VALUES(?1, ?2)",
                                    name_tables[i]);

        rc = sqlite3_prepare_v3(ts->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &ts->ins_name[i], NULL);
        g_free(sql);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(ts->db, "BEGIN", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        g_set_error(err, TRACE_ERROR, TRACE_ERR_WRITE, "cannot create the trace %s: %s",
                    final_path, schema_err ? schema_err
                                : ts->db ? sqlite3_errmsg(ts->db) : sqlite3_errstr(rc));
        g_free(schema_err);
        store_discard(ts);
        return NULL;
    }
    store_start_writer(ts);
    return ts;
}

/* Reserved keys: the store's own. */
static bool
meta_key_reserved(const char *key)
{
    return strcmp(key, "complete") == 0 || strcmp(key, "events") == 0 ||
           strcmp(key, "schema_version") == 0;
}

/* Insert or replace a meta row (value may be NULL). The store's own keys
 * (complete, events, schema_version) are refused with a critical warning.
 * After a write error this does nothing. */
void
trace_store_meta(TraceStore *ts, const char *key, const char *value)
{
    g_return_if_fail(ts != NULL && key != NULL);
    g_return_if_fail(!meta_key_reserved(key));
    store_join(ts);
    store_put_meta(ts, key, value);
}

KTRACE_SINK
trace_store_sink(TraceStore *ts)
{
    KTRACE_SINK sink = { .ctx = ts, .emit = store_emit, .name = store_name };

    return sink;
}

const GError *
trace_store_error(TraceStore *ts)
{
    store_join(ts);
    return ts->error;
}

/* Rows written so far (not counting any that failed after an error). */
gint64
trace_store_rows(TraceStore *ts)
{
    store_join(ts);
    return ts->rows;
}

const char *
trace_store_tmp_path(const TraceStore *ts)
{
    return ts->tmp_path;
}

/*
 * Seals the trace (meta events=N, complete=1, index), closes it and renames
 * the temporary file onto final_path. On any error (also one the sink met
 * earlier) returns false with *err, removes the temporary file and leaves
 * final_path untouched. Frees ts in every case.
 */
bool
trace_store_finish(TraceStore *ts, GError **err)
{
    g_return_val_if_fail(ts != NULL, false);

    store_join(ts);
    if (!ts->error)
        store_seal(ts, true);
    store_close_db(ts);
    if (!ts->error && rename(ts->tmp_path, ts->final_path) != 0) {
        int e = errno;

        g_set_error(&ts->error, TRACE_ERROR, TRACE_ERR_WRITE, "cannot rename %s to %s: %s",
                    ts->tmp_path, ts->final_path, g_strerror(e));
    }
    if (ts->error) {
        g_set_error(err, TRACE_ERROR, TRACE_ERR_WRITE, "%s; no trace was written to %s",
                    ts->error->message, ts->final_path);
        store_discard(ts);
        return false;
    }
    store_free(ts);
    return true;
}

/*
 * Seals what there is with complete=0 and renames it to "<final>.partial"
 * (replacing an older one); final_path is not touched. Returns true if every
 * row emitted is in the partial trace. After a write error (earlier, or
 * while sealing) the partial trace keeps the rows committed before it
 * (meta events says how many) and false is returned with *err. If no
 * partial file could be kept at all, returns false and *partial_path is not
 * set. Frees ts in every case.
 */
bool
trace_store_abandon(TraceStore *ts, char **partial_path, GError **err)
{
    g_return_val_if_fail(ts != NULL, false);

    char *partial = g_strconcat(ts->final_path, ".partial", NULL);

    store_join(ts);
    if (!ts->error)
        store_seal(ts, false);
    if (ts->error && ts->db) {
        /* Back to the last committed batch (the memory journal makes this
         * safe), then try to record how many rows that is. */
        char events[32];

        if (!sqlite3_get_autocommit(ts->db))
            sqlite3_exec(ts->db, "ROLLBACK", NULL, NULL, NULL);
        g_snprintf(events, sizeof events, "%" G_GINT64_FORMAT, ts->committed);
        sqlite3_bind_text(ts->ins_meta, 1, "events", -1, SQLITE_STATIC);
        sqlite3_bind_text(ts->ins_meta, 2, events, -1, SQLITE_TRANSIENT);
        (void)sqlite3_step(ts->ins_meta);
        sqlite3_reset(ts->ins_meta);
    }
    store_close_db(ts);
    if (rename(ts->tmp_path, partial) != 0) {
        int e = errno;

        g_set_error(err, TRACE_ERROR, TRACE_ERR_WRITE, "%s%scannot rename %s to %s: %s",
                    ts->error ? ts->error->message : "", ts->error ? "; " : "",
                    ts->tmp_path, partial, g_strerror(e));
        g_free(partial);
        store_discard(ts);
        return false;
    }
    if (ts->error) {
        g_set_error(err, TRACE_ERROR, TRACE_ERR_WRITE,
                    "%s; %s keeps the first %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " rows",
                    ts->error->message, partial, ts->committed, ts->rows);
    }
    bool ok = ts->error == NULL;

    if (partial_path)
        *partial_path = partial;
    else
        g_free(partial);
    store_free(ts);
    return ok;
}
