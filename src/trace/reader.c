/*
 * reader.c - opening a trace for reading, and its canonical text (dump).
 *
 * Every command that reads a trace goes through trace_open_readonly, which
 * refuses anything that is not a readable apcsim trace of this schema
 * version with one line naming the file and a distinct exit status:
 *
 *   TRACE_ERR_NOT_FOUND   missing, a directory, unreadable
 *   TRACE_ERR_NOT_SQLITE  empty, no SQLite header, truncated, or SQLite says
 *                         NOTADB/CORRUPT
 *   TRACE_ERR_FOREIGN     a SQLite database with another application_id
 *   TRACE_ERR_VERSION     an apcsim trace of another user_version
 *   TRACE_ERR_DAMAGED     a table, view or column missing
 *   TRACE_ERR_INCOMPLETE  meta.complete != 1, when a complete run is required
 *
 * The header is read before SQLite opens the file because SQLite opens
 * anything (an empty or garbage file fails only at the first query, a
 * truncated one only when a query reaches a missing page, which for a trace
 * cut in half may be long after the checks). A truncated file is recognised
 * by the database size in its header (valid when the "version-valid-for"
 * field equals the change counter, as it always is for files written by
 * SQLite >= 3.7.0) being larger than the file.
 *
 * The dump reads v_event, so the text is by construction the one people
 * see in the database; v_event.detail equals trace_format_detail (checked
 * by the unit tests).
 */
#include "trace/trace_int.h"
#include "ke/ke.h"         /* KE_MAX_CPUS */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

static int refuse(GError **err, int code, const char *path, const char *fmt, ...) G_GNUC_PRINTF(4, 5);

/* Set *err to "<path> <reason>" and return code. */
static int
refuse(GError **err, int code, const char *path, const char *fmt, ...)
{
    va_list ap;
    char *reason;

    va_start(ap, fmt);
    reason = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(err, TRACE_ERROR, code, "%s %s", path, reason);
    g_free(reason);
    return code;
}

static uint32_t
be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The checks made on the bytes of the file, before SQLite sees it. */
static int
check_file(const char *path, GError **err)
{
    static const char magic[16] = "SQLite format 3";   /* with its NUL */
    unsigned char h[100];
    struct stat sb;
    size_t n;
    FILE *f;

    if (stat(path, &sb) != 0) {
        int e = errno;

        if (e == ENOENT || e == ENOTDIR)
            return refuse(err, TRACE_ERR_NOT_FOUND, path, "does not exist");
        return refuse(err, TRACE_ERR_NOT_FOUND, path, "cannot be read: %s", g_strerror(e));
    }
    if (S_ISDIR(sb.st_mode))
        return refuse(err, TRACE_ERR_NOT_FOUND, path, "is a directory, not a trace");
    if (!S_ISREG(sb.st_mode))
        return refuse(err, TRACE_ERR_NOT_FOUND, path, "is not a regular file");
    if (sb.st_size == 0)
        return refuse(err, TRACE_ERR_NOT_SQLITE, path, "is empty");

    f = fopen(path, "rb");
    if (!f) {
        int e = errno;

        return refuse(err, TRACE_ERR_NOT_FOUND, path, "cannot be read: %s", g_strerror(e));
    }
    n = fread(h, 1, sizeof h, f);
    fclose(f);
    if (n < sizeof magic || memcmp(h, magic, sizeof magic) != 0)
        return refuse(err, TRACE_ERR_NOT_SQLITE, path, "is not a SQLite database");
    if (n < sizeof h)
        return refuse(err, TRACE_ERR_NOT_SQLITE, path,
                      "is truncated (%zu bytes, less than a SQLite header)", n);

    uint32_t page_size = (uint32_t)h[16] << 8 | h[17];

    if (page_size == 1)
        page_size = 65536;
    if (page_size < 512 || page_size > 65536 || (page_size & (page_size - 1)) != 0)
        return refuse(err, TRACE_ERR_NOT_SQLITE, path,
                      "is not a SQLite database (bad page size %" PRIu32 " in its header)", page_size);

    uint32_t change_counter = be32(h + 24), npages = be32(h + 28), valid_for = be32(h + 92);
    gint64 want = npages != 0 && valid_for == change_counter ? (gint64)npages * page_size : page_size;

    if ((gint64)sb.st_size < want)
        return refuse(err, TRACE_ERR_NOT_SQLITE, path,
                      "is truncated (%" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " bytes)",
                      (gint64)sb.st_size, want);
    return 0;
}

/* Map a SQLite error met while checking to an exit status and a message. */
static int
refuse_sqlite(GError **err, const char *path, sqlite3 *db, int rc)
{
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);

    switch (rc & 0xff) {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
        return refuse(err, TRACE_ERR_NOT_SQLITE, path, "is not a SQLite database or is damaged (%s)", msg);
    case SQLITE_ERROR:
    case SQLITE_SCHEMA:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
        return refuse(err, TRACE_ERR_DAMAGED, path, "is damaged: %s", msg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return refuse(err, TRACE_ERR_INCOMPLETE, path,
                      "is locked by another process: a run still writing it? (%s)", msg);
    default:
        return refuse(err, TRACE_ERR_NOT_FOUND, path, "cannot be read (%s)", msg);
    }
}

/* Run a query that returns one integer. */
static int
query_int(sqlite3 *db, const char *sql, gint64 *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int64(st, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/* Checks made through SQLite, in the order of the exit statuses' causes. */
static int
check_db(sqlite3 *db, const char *path, bool require_complete, GError **err)
{
    static const char *const tables[] = { "meta", "event", "kind" };
    static const char *const probes[] = {
        "SELECT key, value FROM meta",
        "SELECT seq, t, kind, cpu, thread, obj, a, b, c, d, e, text FROM event",
        ("SELECT id, name, obj_type, a_type, b_type, c_type, d_type, e_type,"
         " a_label, b_label, c_label, d_label, e_label FROM kind"),
        "SELECT seq, t, cpu, thread, kind, apc, detail FROM v_event",
        "SELECT seq, t, cpu, thread, irql, mode, label FROM v_mark",
    };
    gint64 v;
    int rc;

    rc = query_int(db, "PRAGMA application_id", &v);
    if (rc != SQLITE_OK)
        return refuse_sqlite(err, path, db, rc);
    if (v != APCSIM_APPLICATION_ID)
        return refuse(err, TRACE_ERR_FOREIGN, path,
                      "is a SQLite database but not an apcsim trace (application_id 0x%08" PRIX32 ")",
                      (uint32_t)v);
    rc = query_int(db, "PRAGMA user_version", &v);
    if (rc != SQLITE_OK)
        return refuse_sqlite(err, path, db, rc);
    if (v != APCSIM_SCHEMA_VERSION)
        return refuse(err, TRACE_ERR_VERSION, path,
                      "is an apcsim trace of schema version %" G_GINT64_FORMAT "; this apcsim reads version %d",
                      v, APCSIM_SCHEMA_VERSION);

    for (size_t i = 0; i < G_N_ELEMENTS(tables); i++) {
        char *sql = g_strdup_printf("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '%s'",
                                    tables[i]);

        rc = query_int(db, sql, &v);
        g_free(sql);
        if (rc != SQLITE_OK)
            return refuse_sqlite(err, path, db, rc);
        if (v == 0)
            return refuse(err, TRACE_ERR_DAMAGED, path, "is damaged: it has no table %s", tables[i]);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(probes); i++) {
        sqlite3_stmt *st = NULL;

        rc = sqlite3_prepare_v2(db, probes[i], -1, &st, NULL);
        sqlite3_finalize(st);
        if (rc != SQLITE_OK)
            return refuse_sqlite(err, path, db, rc);
    }

    /* The run description: numbers where numbers belong (a meta table
     * edited by hand would otherwise be shown as if apcsim had written it). */
    static const struct { const char *key; gint64 min, max; bool required; } numeric[] = {
        { "schema_version", APCSIM_SCHEMA_VERSION, APCSIM_SCHEMA_VERSION, true },
        { "cpus", 1, KE_MAX_CPUS, false },
        { "seed", 0, G_MAXINT64, false },
        { "end_time_ns", 0, G_MAXINT64, false },
        { "events", 0, G_MAXINT64, false },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(numeric); i++) {
        sqlite3_stmt *st = NULL;
        char *value = NULL;
        rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_text(st, 1, numeric[i].key, -1, SQLITE_STATIC);
        if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            const unsigned char *t = sqlite3_column_text(st, 0);
            value = g_strdup(t ? (const char *)t : "NULL");
        }
        if (rc == SQLITE_ROW || rc == SQLITE_DONE)
            rc = SQLITE_OK;
        sqlite3_finalize(st);
        if (rc != SQLITE_OK)
            return refuse_sqlite(err, path, db, rc);
        gint64 num;
        bool ok = value ? g_ascii_string_to_signed(value, 10, numeric[i].min, numeric[i].max, &num, NULL)
                        : !numeric[i].required;
        if (!ok) {
            int code = value ? refuse(err, TRACE_ERR_DAMAGED, path, "is damaged: meta.%s = '%s' (apcsim writes "
                                      "%s)", numeric[i].key, value,
                                      numeric[i].min == numeric[i].max ? "the schema version it reads"
                                      : numeric[i].max == KE_MAX_CPUS ? "1 to 64" : "a number of 0 or more")
                             : refuse(err, TRACE_ERR_DAMAGED, path, "is damaged: it has no meta.%s", numeric[i].key);
            g_free(value);
            return code;
        }
        g_free(value);
    }

    if (require_complete) {
        sqlite3_stmt *st = NULL;
        char *complete = NULL;

        rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'complete'", -1, &st, NULL);
        if (rc == SQLITE_OK) {
            rc = sqlite3_step(st);
            if (rc == SQLITE_ROW) {
                const unsigned char *s = sqlite3_column_text(st, 0);

                complete = g_strdup(s ? (const char *)s : "NULL");
                rc = SQLITE_OK;
            } else if (rc == SQLITE_DONE) {
                rc = SQLITE_OK;
            }
        }
        if (rc != SQLITE_OK) {
            sqlite3_finalize(st);
            return refuse_sqlite(err, path, db, rc);
        }
        sqlite3_finalize(st);
        if (!complete || strcmp(complete, "1") != 0) {
            int code = refuse(err, TRACE_ERR_INCOMPLETE, path,
                              "is from a run that did not complete (meta.complete = %s; --partial reads it anyway)",
                              complete ? complete : "missing");

            g_free(complete);
            return code;
        }
        g_free(complete);
    }
    return 0;
}

/*
 * Opens `path` with SQLITE_OPEN_READONLY after the checks listed at the top
 * of the file. Returns the connection (sqlite3_close it), or NULL with *err
 * = "<path> <reason>" (domain TRACE_ERROR, code = the exit status) and
 * *exit_code (if not NULL) set to the same TRACE_ERR_* value.
 */
bool trace_allow_partial = false;

struct sqlite3 *
trace_open_readonly(const char *path, bool require_complete, int *exit_code, GError **err)
{
    sqlite3 *db = NULL;
    int code, rc;

    g_return_val_if_fail(path != NULL, NULL);

    code = check_file(path, err);
    if (code == 0) {
        /* one connection, one thread: no SQLite mutex (6 % of a plot of 10 M rows) */
        rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_extended_result_codes(db, 1);
            code = check_db(db, path, require_complete, err);
        } else {
            code = refuse_sqlite(err, path, db, rc);
        }
    }
    if (code != 0) {
        sqlite3_close(db);
        if (exit_code)
            *exit_code = code;
        return NULL;
    }
    if (exit_code)
        *exit_code = 0;
    return db;
}

static const char *
col_text(sqlite3_stmt *st, int i, const char *if_null)
{
    const unsigned char *s = sqlite3_column_text(st, i);

    return s ? (const char *)s : if_null;
}

static int
dump_meta(sqlite3 *db, const char *path, FILE *out, GError **err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT key, value FROM meta ORDER BY key", -1, &st, NULL);

    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *key = col_text(st, 0, "");

        rc = SQLITE_OK;
        if (g_str_has_prefix(key, "volatile_"))
            continue;
        fprintf(out, "# %s = %s\n", key, col_text(st, 1, ""));
    }
    if (rc != SQLITE_DONE)
        refuse(err, TRACE_ERR_DAMAGED, path, "is damaged: %s (reading meta)", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : TRACE_ERR_DAMAGED;
}

static bool
matches_any(char **patterns, const char *s)
{
    for (char **p = patterns; s && *p; p++)
        if (g_pattern_match_simple(*p, s))
            return true;
    return false;
}

/* apcs: the names of the APCs met so far (their APC_INIT rows), for --apc. */
static bool
dump_wants(const TraceDumpFilter *f, GHashTable *apcs, gint64 t, const char *thread, const char *kind,
           const char *apc)
{
    if (!f)
        return true;
    if (f->apcs && apc && strcmp(kind, "APC_INIT") == 0)
        g_hash_table_add(apcs, g_strdup(apc));
    if (t < f->from || (f->to >= 0 && t > f->to))
        return false;
    if (f->threads && !g_strv_contains((const char *const *)f->threads, thread))
        return false;
    if (f->kinds && !matches_any(f->kinds, kind))
        return false;
    return !f->apcs || (matches_any(f->apcs, apc) && g_hash_table_contains(apcs, apc));
}

/* Each name or pattern of one filter list against the names of a table:
 * 0, or TRACE_ERR_USAGE naming the first that matches none. */
static int
check_filter_list(sqlite3 *db, const char *path, char **wanted, const char *sql, bool patterns, const char *opt,
                  const char *what, GError **err)
{
    if (!wanted)
        return 0;
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        rc = SQLITE_OK;
        g_ptr_array_add(names, g_strdup(col_text(st, 0, "")));
    }
    sqlite3_finalize(st);
    int code = 0;
    if (rc != SQLITE_DONE) {
        refuse(err, TRACE_ERR_DAMAGED, path, "is damaged: %s (reading %s names)", sqlite3_errmsg(db), what);
        code = TRACE_ERR_DAMAGED;
    }
    for (char **w = wanted; code == 0 && *w; w++) {
        bool hit = false;
        for (guint i = 0; i < names->len && !hit; i++)
            hit = patterns ? g_pattern_match_simple(*w, names->pdata[i]) : strcmp(*w, names->pdata[i]) == 0;
        if (!hit) {
            g_set_error(err, TRACE_ERROR, TRACE_ERR_USAGE, "%s '%s': %s has no %s %s (names are case-sensitive)",
                        opt, *w, path, what, patterns ? "matching it" : "of that name");
            code = TRACE_ERR_USAGE;
        }
    }
    g_ptr_array_free(names, TRUE);
    return code;
}

static int
check_filter_names(sqlite3 *db, const char *path, const TraceDumpFilter *f, GError **err)
{
    if (!f)
        return 0;
    int code = check_filter_list(db, path, f->threads, "SELECT name FROM thread", false, "--thread", "thread", err);
    if (code == 0)
        code = check_filter_list(db, path, f->kinds, "SELECT name FROM kind", true, "--kind", "kind", err);
    if (code == 0)
        code = check_filter_list(db, path, f->apcs, "SELECT name FROM apc", true, "--apc", "APC", err);
    return code;
}

static int
dump_events(sqlite3 *db, const char *path, FILE *out, const TraceDumpFilter *f, GError **err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT seq, t, cpu, thread, kind, detail, apc FROM v_event ORDER BY seq",
                                -1, &st, NULL);
    GHashTable *apcs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *detail = col_text(st, 5, "");
        char cpu[24];

        rc = SQLITE_OK;
        if (!dump_wants(f, apcs, sqlite3_column_int64(st, 1), col_text(st, 3, "-"), col_text(st, 4, "?"),
                        col_text(st, 6, NULL)))
            continue;
        if (sqlite3_column_type(st, 2) == SQLITE_NULL)
            g_strlcpy(cpu, "-", sizeof cpu);
        else
            g_snprintf(cpu, sizeof cpu, "%" G_GINT64_FORMAT, (gint64)sqlite3_column_int64(st, 2));
        fprintf(out, "%" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %s %s %s%s%s\n",
                (gint64)sqlite3_column_int64(st, 0), (gint64)sqlite3_column_int64(st, 1), cpu,
                col_text(st, 3, "-"), col_text(st, 4, "?"), detail[0] ? " " : "", detail);
    }
    if (rc != SQLITE_DONE)
        refuse(err, TRACE_ERR_DAMAGED, path, "is damaged: %s (reading events)", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    int code = rc == SQLITE_DONE ? 0 : TRACE_ERR_DAMAGED;
    /* a pattern that matched only DPC names (checked up front against the
     * whole name table) matched no APC */
    for (char **p = f && f->apcs ? f->apcs : NULL; code == 0 && p && *p; p++) {
        GHashTableIter it;
        gpointer name;
        bool hit = false;
        g_hash_table_iter_init(&it, apcs);
        while (!hit && g_hash_table_iter_next(&it, &name, NULL))
            hit = g_pattern_match_simple(*p, name);
        if (!hit) {
            g_set_error(err, TRACE_ERROR, TRACE_ERR_USAGE, "--apc '%s': %s has no APC matching it (only DPCs)", *p,
                        path);
            code = TRACE_ERR_USAGE;
        }
    }
    g_hash_table_destroy(apcs);
    return code;
}

/*
 * The canonical text of a trace:
 *
 *   # key = value              every meta row except keys "volatile_*",
 *                              sorted by key (bytewise)
 *   seq t cpu thread KIND detail
 *                              one line per event in seq order; t in ns; cpu
 *                              and thread "-" when not applicable; the
 *                              detail (and the space before it) omitted when
 *                              empty
 *
 * Identical traces give byte-identical text. Incomplete traces are dumped
 * too (their "# complete = 0" line says so); callers that want only
 * complete ones check with trace_open_readonly first. Returns 0, a
 * TRACE_ERR_* reading status, or TRACE_ERR_WRITE if `out` failed; *err says
 * why.
 */
int
trace_dump(const char *path, FILE *out, GError **err)
{
    return trace_dump_filtered(path, out, NULL, err);
}

int
trace_dump_filtered(const char *path, FILE *out, const TraceDumpFilter *filter, GError **err)
{
    int code = 0;
    sqlite3 *db;

    g_return_val_if_fail(path != NULL && out != NULL, TRACE_ERR_NOT_FOUND);

    db = trace_open_readonly(path, !trace_allow_partial, &code, err);
    if (!db)
        return code;
    code = trace_check_rows(db, path, err);
    if (code == 0)
        code = check_filter_names(db, path, filter, err);
    if (code == 0 && !(filter && filter->no_meta))
        code = dump_meta(db, path, out, err);
    if (code == 0)
        code = dump_events(db, path, out, filter, err);
    sqlite3_close(db);
    if (code == 0 && (fflush(out) != 0 || ferror(out))) {
        int e = errno;

        g_set_error(err, TRACE_ERROR, TRACE_ERR_WRITE, "cannot write the dump of %s: %s", path,
                    g_strerror(e));
        code = TRACE_ERR_WRITE;
    }
    return code;
}

/*
 * The row check (dump, plot, export): each row has an integer time and a
 * known kind, the rows are numbered 1, 2, 3 ... with nothing missing or
 * added, time never goes back, CPUs are those of the machine and thread ids
 * are NULL (none) or 0 and more. Replay checks the rows it reads itself.
 * trace_check_rows makes its own pass; a reader that scans every row anyway
 * (plot) feeds them to trace_row_check instead.
 */
int trace_row_check_begin(sqlite3 *db, const char *path, TraceRowCheck *c, GError **err)
{
    gint64 cpus = KE_MAX_CPUS;      /* meta.cpus, checked by check_db, if the writer gave it */
    int rc = query_int(db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'cpus'", &cpus);
    if (rc != SQLITE_DONE && rc != SQLITE_OK) {
        g_set_error(err, TRACE_ERROR, TRACE_ERR_DAMAGED, "%s is damaged: %s", path, sqlite3_errmsg(db));
        return TRACE_ERR_DAMAGED;
    }
    *c = (TraceRowCheck){ .path = path, .cpus = cpus, .expect_seq = 1, .last_t = 0 };
    return 0;
}

int trace_row_check(TraceRowCheck *c, sqlite3_stmt *st, const int col[TRACE_CHECK_COLS], GError **err)
{
    gint64 seq = sqlite3_column_int64(st, col[0]), t = sqlite3_column_int64(st, col[1]);
    int cpu = col[4], thread = col[5];
    const char *why = NULL;
    if (sqlite3_column_type(st, col[1]) != SQLITE_INTEGER || sqlite3_column_type(st, col[2]) != SQLITE_INTEGER ||
        !sqlite3_column_int(st, col[3]))
        why = "has a time or kind apcsim never writes";
    else if (seq != c->expect_seq)
        why = "is out of sequence: rows before it are missing or were added";
    else if (t < c->last_t)
        why = "goes back in time";
    else if (sqlite3_column_type(st, cpu) != SQLITE_NULL &&
             (sqlite3_column_type(st, cpu) != SQLITE_INTEGER || sqlite3_column_int64(st, cpu) < 0 ||
              sqlite3_column_int64(st, cpu) >= c->cpus))
        why = "names a CPU the machine does not have";
    else if (sqlite3_column_type(st, thread) != SQLITE_NULL &&
             (sqlite3_column_type(st, thread) != SQLITE_INTEGER || sqlite3_column_int64(st, thread) < 0))
        why = "names a thread id apcsim never writes";
    if (why) {
        g_set_error(err, TRACE_ERROR, TRACE_ERR_DAMAGED, "%s is damaged: event row %lld %s", c->path,
                    (long long)seq, why);
        return TRACE_ERR_DAMAGED;
    }
    c->expect_seq = seq + 1;
    c->last_t = t;
    return 0;
}

int trace_check_rows(sqlite3 *db, const char *path, GError **err)
{
    static const int col[TRACE_CHECK_COLS] = { 0, 1, 2, 5, 3, 4 };
    TraceRowCheck c;
    sqlite3_stmt *st = NULL;
    int code = trace_row_check_begin(db, path, &c, err);
    if (code)
        return code;
    int rc = sqlite3_prepare_v2(db, "SELECT seq, t, kind, cpu, thread, " TRACE_KIND_KNOWN_SQL
                                    " FROM event ORDER BY seq", -1, &st, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        rc = SQLITE_OK;
        if ((code = trace_row_check(&c, st, col, err)) != 0)
            break;
    }
    sqlite3_finalize(st);
    if (code)
        return code;
    if (rc != SQLITE_DONE) {
        g_set_error(err, TRACE_ERROR, TRACE_ERR_DAMAGED, "%s is damaged: %s", path, sqlite3_errmsg(db));
        return TRACE_ERR_DAMAGED;
    }
    return 0;
}
