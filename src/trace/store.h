/*
 * store.h - the SQLite trace: writer (a KTRACE_SINK), reader checks, dump.
 *
 * Contract (SCENARIO_API.md section 3): PRAGMA application_id and
 * user_version set; meta(key, value); append-only event log with
 * seq = emission order; lookup tables for enums and names; views v_event and
 * v_mark. The writer writes to a temporary file next to the final path and
 * renames it into place only when the run completed; an interrupted run
 * keeps its partial trace under "<final>.partial" with meta.complete = 0.
 */
#ifndef APCSIM_TRACE_STORE_H
#define APCSIM_TRACE_STORE_H

#include <glib.h>
#include <stdbool.h>
#include <stdio.h>

#include "ke/ktrace.h"

#define APCSIM_APPLICATION_ID 0x41504353   /* 'APCS' */
#define APCSIM_SCHEMA_VERSION 1

typedef struct TraceStore TraceStore;

/* Exit statuses for trace-reading commands (distinct per failure kind). */
enum {
    TRACE_ERR_USAGE = 2,        /* a dump filter names nothing the trace has (the usage status) */
    TRACE_ERR_NOT_FOUND = 10,   /* no such file / unreadable */
    TRACE_ERR_NOT_SQLITE = 11,  /* zero-length, garbage, truncated, not a database */
    TRACE_ERR_FOREIGN = 12,     /* a SQLite file that is not an apcsim trace (application_id) */
    TRACE_ERR_VERSION = 13,     /* apcsim trace of another schema version */
    TRACE_ERR_INCOMPLETE = 14,  /* meta.complete != 1 (interrupted run) */
    TRACE_ERR_DAMAGED = 15,     /* missing tables or columns, unreadable rows */
};

/* GError domain of this module. Reading errors carry the TRACE_ERR_* code
 * above (the exit status); writing errors carry TRACE_ERR_WRITE. */
#define TRACE_ERROR (trace_error_quark())
GQuark trace_error_quark(void);
enum {
    TRACE_ERR_WRITE = 16,       /* cannot create, write, seal or rename a trace */
};

/* Open a new trace that will become `final_path`. Creates the temporary file
 * (same directory) and the schema. Returns NULL and sets *err on failure
 * (nothing is left on disk then). */
TraceStore *trace_store_open(const char *final_path, GError **err);

/* Set a meta row (insert or replace). May be called any time before finish. */
void trace_store_meta(TraceStore *ts, const char *key, const char *value);

/* The sink the kernel emits into. Valid until finish/abandon. */
KTRACE_SINK trace_store_sink(TraceStore *ts);

/* First error the sink met (disk full, ...), or NULL. The sink stops writing
 * after an error; the run should end and call trace_store_abandon. Waits for
 * the writer thread to write every row emitted so far and ends it (call it
 * after the run, not per row). */
const GError *trace_store_error(TraceStore *ts);

/* Complete the trace: meta complete=1, end rows flushed, commit, then rename
 * onto final_path (replacing an older file). Frees ts. Returns false and
 * sets *err on failure (the temporary file is removed then). */
bool trace_store_finish(TraceStore *ts, GError **err);

/* Stop an unfinished run: commit what there is with meta complete=0 and keep
 * it as "<final_path>.partial" (never under final_path). Frees ts. Writes the
 * partial path to *partial_path (g_free it) if non-NULL. */
bool trace_store_abandon(TraceStore *ts, char **partial_path, GError **err);

/* Number of event rows written so far (waits for the writer thread and ends
 * it, as trace_store_error does). */
gint64 trace_store_rows(TraceStore *ts);

/* The temporary file the trace is written to until finish/abandon:
 * "<final_path>.tmp-<pid>", in the directory of final_path. Valid until
 * finish/abandon. */
const char *trace_store_tmp_path(const TraceStore *ts);

/* ---- reading ------------------------------------------------------------ */

/* Open an existing trace read-only and check it: a SQLite file, our
 * application_id, our user_version, the tables present, and (if
 * require_complete) meta.complete = 1. On failure returns NULL, sets *err
 * with a one-line reason and *exit_code to one of TRACE_ERR_*. */
/* Readers (dump, replay, plot, export) refuse a trace of a run that did not
 * complete (TRACE_ERR_INCOMPLETE) unless this is set (their --partial). */
extern bool trace_allow_partial;

struct sqlite3;
struct sqlite3_stmt;
struct sqlite3 *trace_open_readonly(const char *path, bool require_complete, int *exit_code, GError **err);

/* Check that every event row has an integer time and a known kind, is in
 * sequence, in time order, on an existing CPU and names a valid thread id;
 * returns 0 or TRACE_ERR_DAMAGED with *err set. One scan of the event table. */
int trace_check_rows(struct sqlite3 *db, const char *path, GError **err);

/* The same check fed row by row from a reader's own scan of every row in
 * seq order. The statement's columns, by position in col[]: seq, t, kind,
 * TRACE_KIND_KNOWN_SQL, cpu, thread (cpu and thread raw, NULL allowed). */
#define TRACE_CHECK_COLS 6
#define TRACE_KIND_KNOWN_SQL "(kind IN (SELECT id FROM kind))"
typedef struct TraceRowCheck {
    const char *path;
    int64_t cpus, expect_seq, last_t;
} TraceRowCheck;
int trace_row_check_begin(struct sqlite3 *db, const char *path, TraceRowCheck *c, GError **err);
int trace_row_check(TraceRowCheck *c, struct sqlite3_stmt *st, const int col[TRACE_CHECK_COLS], GError **err);

/* Write the canonical text of a trace to out: the meta rows that are stable
 * (sorted by key), then one line per event in seq order. Returns 0 or a
 * TRACE_ERR_* code (with *err set). */
int trace_dump(const char *path, FILE *out, GError **err);

/* Which rows `apcsim dump` prints (all of a field left empty = no filter on
 * it). The lines printed are the canonical lines themselves, unchanged. */
typedef struct TraceDumpFilter {
    int64_t from, to;               /* time window in ns, inclusive; to < 0 = to the end */
    char **threads;                 /* thread column names (NULL-terminated), or NULL */
    char **kinds;                   /* kind names or glob patterns ("APC_*"), or NULL */
    char **apcs;                    /* APC names or patterns: rows about those APCs, or NULL */
    bool no_meta;                   /* leave out the "# key = value" lines */
} TraceDumpFilter;

/* trace_dump with a filter (NULL = everything). The whole trace is checked
 * as for trace_dump, whatever the filter keeps. A thread name, kind or APC
 * pattern that names nothing in the trace is refused first (TRACE_ERR_USAGE,
 * nothing printed): a typo must not look like "nothing happened". --apc
 * keeps the rows of APCs only (objects that have an APC_INIT row), not of
 * DPCs, whose names share the trace's apc name table. */
int trace_dump_filtered(const char *path, FILE *out, const TraceDumpFilter *filter, GError **err);

/* A time as people write it on the command line: "1500", "250ns", "500us"
 * (or "500µs"), "1.5ms", "2s"; no unit = ns. False if s is not one, has
 * spaces, is negative or does not fit. Used by every command's time options. */
bool trace_parse_time(const char *s, int64_t *ns);

/* Format one record's detail the way dump and v_event show it, into buf.
 * `names` may be NULL (ids are printed then). */
typedef const char *(*trace_name_fn)(void *ctx, const char *what, int32_t id);
void trace_format_detail(const KTRACE_RECORD *rec, trace_name_fn names, void *names_ctx, GString *buf);

#endif /* APCSIM_TRACE_STORE_H */
