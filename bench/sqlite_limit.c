/*
 * sqlite_limit.c - the SQLite limit of `make bench`: how fast a minimal C
 * loop can load rows of apcsim's `event` table, with what src/trace/store.c
 * does and nothing else:
 *
 *   - the same library set-up (SQLITE_CONFIG_MEMSTATUS off) and open flags
 *     (SQLITE_OPEN_NOMUTEX);
 *   - the same file set-up: PRAGMA journal_mode = MEMORY, synchronous = OFF,
 *     locking_mode = EXCLUSIVE, cache_size = -16384 (+ application_id and
 *     user_version), the same CREATE TABLE event(...);
 *   - the same prepared INSERT (SQLITE_PREPARE_PERSISTENT), one sqlite3_step
 *     per row, NULL for the columns a row does not use;
 *   - the same transactions of BATCH rows (TRACE__BATCH_ROWS, --batch);
 *   - the same end: COMMIT, synchronous = FULL, the partial index on the MARK
 *     rows and the final synced COMMIT, close.
 *
 * The rows: with --from SOURCE.db, the first N rows of SOURCE's event table
 * (the traced storm's own rows: same values, same NULLs, same texts), read
 * into memory before the clock starts; without it, synthetic rows shaped
 * like a storm trace. The clock covers open to close.
 *
 * Usage: sqlite_limit OUT.db N [--from SOURCE.db] [--batch ROWS] [--mark-kind K]
 * Prints: "sqlite_limit rows=N seconds=S rows_per_s=R"
 * Links sqlite3 only.
 */
#define _POSIX_C_SOURCE 200809L
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NCOLS 12                /* seq t kind cpu thread obj a b c d e text */

typedef struct Row {
    int64_t v[11];              /* seq .. e */
    uint16_t null_mask;         /* bit i: column i (0..10) is NULL */
    char *text;                 /* NULL = NULL */
} Row;

static void die(sqlite3 *db, const char *what)
{
    fprintf(stderr, "sqlite_limit: %s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
    exit(1);
}

static void exec(sqlite3 *db, const char *sql)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        die(db, sql);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The first n rows of SOURCE's event table. Returns how many there were. */
static int64_t load_rows(const char *src, Row *rows, int64_t n)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    int64_t i = 0;

    if (sqlite3_open_v2(src, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        die(db, src);
    if (sqlite3_prepare_v2(db, "SELECT seq, t, kind, cpu, thread, obj, a, b, c, d, e, text FROM event"
                               " ORDER BY seq LIMIT ?1", -1, &st, NULL) != SQLITE_OK)
        die(db, "select");
    sqlite3_bind_int64(st, 1, n);
    while (i < n && sqlite3_step(st) == SQLITE_ROW) {
        Row *r = &rows[i++];
        r->null_mask = 0;
        for (int c = 1; c < 11; c++) {          /* column 0, seq, is the rowid */
            if (sqlite3_column_type(st, c) == SQLITE_NULL)
                r->null_mask |= (uint16_t)(1u << c);
            else
                r->v[c] = sqlite3_column_int64(st, c);
        }
        r->v[0] = i;                            /* seq = 1..n, as the store writes it */
        const unsigned char *tx = sqlite3_column_text(st, 11);
        r->text = tx ? strdup((const char *)tx) : NULL;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return i;
}

/* Rows shaped like a storm trace: t rising by a few us every ~20 rows, a
 * few dozen kinds, CPU 0/1, a thread id, two or three small fields, a text
 * on one row in eight (routine and syscall names). */
static void synth_rows(Row *rows, int64_t n)
{
    static char *const texts[] = { "NtDelayExecution", "every@bench/storm.lua:123", "U", "N", "S" };
    uint64_t x = 88172645463325252ull;
    int64_t t = 0;

    for (int64_t i = 0; i < n; i++) {
        Row *r = &rows[i];
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        if (x % 20 == 0)
            t += 5000;
        r->v[0] = i + 1;
        r->v[1] = t;
        r->v[2] = (int64_t)(x >> 8) % 40;
        r->v[3] = (int64_t)(x >> 16) % 2;
        r->v[4] = (int64_t)(x >> 20) % 1000;
        r->v[5] = -1;
        r->v[6] = (int64_t)(x >> 30) % 8;
        r->v[7] = (int64_t)(x >> 34) % 8;
        r->v[8] = (int64_t)(x >> 38) % 1000000;
        r->v[9] = r->v[10] = 0;
        r->null_mask = (1u << 5) | (1u << 9) | (1u << 10);
        r->text = (x >> 40) % 8 == 0 ? texts[(x >> 44) % 5] : NULL;
    }
}

int main(int argc, char **argv)
{
    const char *out = NULL, *from = NULL;
    int64_t n = -1;
    int batch = 10000, mark_kind = -1;

    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);     /* as src/main.c */

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
            from = argv[++i];
        else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc)
            batch = atoi(argv[++i]);
        else if (strcmp(argv[i], "--mark-kind") == 0 && i + 1 < argc)
            mark_kind = atoi(argv[++i]);
        else if (!out)
            out = argv[i];
        else if (n < 0)
            n = atoll(argv[i]);
        else {
            fprintf(stderr, "usage: sqlite_limit OUT.db N [--from SOURCE.db] [--batch ROWS] [--mark-kind K]\n");
            return 2;
        }
    }
    if (!out || n <= 0 || batch <= 0) {
        fprintf(stderr, "usage: sqlite_limit OUT.db N [--from SOURCE.db] [--batch ROWS] [--mark-kind K]\n");
        return 2;
    }

    Row *rows = calloc((size_t)n, sizeof *rows);
    if (!rows) {
        fprintf(stderr, "sqlite_limit: out of memory\n");
        return 1;
    }
    if (from) {
        int64_t got = load_rows(from, rows, n);
        if (got < n) {
            fprintf(stderr, "sqlite_limit: %s has only %lld rows\n", from, (long long)got);
            n = got;
        }
    } else {
        synth_rows(rows, n);
    }
    if (mark_kind < 0)
        mark_kind = 0;
    unlink(out);

    /* ---- the clock starts: what store.c does for a run ---- */
    double t0 = now_s();
    sqlite3 *db;
    sqlite3_stmt *ins;
    char sql[512];

    if (sqlite3_open_v2(out, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
        die(db, out);
    exec(db, "PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF;"
             " PRAGMA locking_mode = EXCLUSIVE; PRAGMA cache_size = -16384;"
             " PRAGMA application_id = 1095779155; PRAGMA user_version = 1;");
    exec(db, "BEGIN; CREATE TABLE event(seq INTEGER PRIMARY KEY, t INTEGER NOT NULL, kind INTEGER NOT NULL,"
             " cpu INTEGER, thread INTEGER, obj INTEGER, a INTEGER, b INTEGER, c INTEGER, d INTEGER,"
             " e INTEGER, text TEXT); COMMIT;");
    /* as the store: seq is the rowid SQLite gives (the rows' own seq are 1..n) */
    if (sqlite3_prepare_v3(db, "INSERT INTO event(t, kind, cpu, thread, obj, a, b, c, d, e, text)"
                               " VALUES(?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                           -1, SQLITE_PREPARE_PERSISTENT, &ins, NULL) != SQLITE_OK)
        die(db, "prepare");
    exec(db, "BEGIN");
    int in_batch = 0;
    for (int64_t i = 0; i < n; i++) {
        const Row *r = &rows[i];
        for (int c = 0; c < 11; c++) {
            if (r->null_mask & (1u << c))
                sqlite3_bind_null(ins, c + 1);
            else
                sqlite3_bind_int64(ins, c + 1, r->v[c]);
        }
        if (r->text)
            sqlite3_bind_text(ins, 12, r->text, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(ins, 12);
        if (sqlite3_step(ins) != SQLITE_DONE)
            die(db, "insert");
        sqlite3_reset(ins);
        if (++in_batch >= batch) {
            exec(db, "COMMIT");
            exec(db, "BEGIN");
            in_batch = 0;
        }
    }
    exec(db, "COMMIT");
    exec(db, "PRAGMA synchronous = FULL");
    snprintf(sql, sizeof sql, "BEGIN; CREATE INDEX event_mark ON event(seq) WHERE kind = %d; COMMIT;", mark_kind);
    exec(db, sql);
    sqlite3_finalize(ins);
    if (sqlite3_close(db) != SQLITE_OK)
        die(db, "close");
    double secs = now_s() - t0;
    /* ---- the clock stops ---- */

    printf("sqlite_limit rows=%lld seconds=%.6f rows_per_s=%.0f\n", (long long)n, secs, n / secs);
    unlink(out);
    return 0;
}
