/*
 * replay.h - the kernel state at any point of a trace, rebuilt from the
 * trace's rows alone (never by running the scenario again).
 *
 * Three layers:
 *
 *   ReplayState          the state model: a KSNAP (ke/snapshot.h) kept up to
 *                        date row by row by replay_state_apply, plus what the
 *                        rows need between them (a wait being set up, the
 *                        buffers of KeStackAttachProcess, ...). It can be
 *                        saved to and loaded from a byte string (checkpoints).
 *   Replay               a trace file opened for replay: seek to any row or
 *                        time, using the checkpoints stored in the file;
 *                        canonical text and a debugger-style printer.
 *   ReplayCheckpointer   writes checkpoints (the saved state every so many
 *                        rows) into a trace's `replay_checkpoint` table: fed
 *                        by the trace writer row by row, or by
 *                        replay_index for a trace that has none.
 *
 * The cost of seeking (replay.c says more): finding the row of a time is a
 * binary search over the event table's primary key, O(log^2 rows); the
 * state is then the nearest checkpoint at or before that row, loaded, plus at
 * most one checkpoint interval of rows applied. The interval is
 * max(REPLAY_CHECKPOINT_MIN_ROWS, size of the saved state /
 * REPLAY_CHECKPOINT_BYTES_PER_ROW) rows, so neither the seek time nor the
 * space the checkpoints take grows with the length of the trace: the seek
 * costs about what reading the state itself costs, plus a bounded number of
 * rows.
 */
#ifndef APCSIM_TRACE_REPLAY_H
#define APCSIM_TRACE_REPLAY_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "ke/ktrace.h"
#include "ke/snapshot.h"

struct sqlite3;

/* Version of the saved-state byte format. A checkpoint of another format is
 * ignored (the state is then rebuilt from an older checkpoint or from the
 * first row); bump it whenever replay_state_save changes. */
#define REPLAY_CHECKPOINT_FORMAT 3
/* Fewest rows between two checkpoints. */
#define REPLAY_CHECKPOINT_MIN_ROWS 32768
/* At least one row per this many bytes of saved state between checkpoints
 * (a row costs 20-40 bytes in the event table: checkpoints stay below
 * a quarter of the trace). */
#define REPLAY_CHECKPOINT_BYTES_PER_ROW 8

/* ---- the state model ------------------------------------------------------ */

typedef struct ReplayState ReplayState;

/* The state before the first row (no CPUs, threads or objects). */
ReplayState *replay_state_new(void);
void replay_state_free(ReplayState *st);

/* Apply row `seq` (rows must come in seq order, each exactly once). Never
 * fails: a row that does not fit the state (an unknown thread, a "from"
 * value that is not the current one) is applied as far as it can be and
 * counted as a disagreement (replay_state_disagreements). */
void replay_state_apply(ReplayState *st, int64_t seq, const KTRACE_RECORD *rec);

/* The seq and time of the last row applied (0, 0 before the first). */
int64_t replay_state_seq(const ReplayState *st);
int64_t replay_state_time(const ReplayState *st);

/* The rebuilt kernel state. Owned by st, valid until the next apply. */
const KSNAP *replay_state_snapshot(const ReplayState *st);

/* What the run rows said: RUN_BEGIN's configuration, RUN_END, a BUGCHECK. */
typedef struct ReplayRunInfo {
    int ncpus;
    int64_t seed, clock_tick, switch_cost;
    int32_t quantum;
    const char *profile;            /* RUN_BEGIN's text, may be NULL */
    bool ended;                     /* RUN_END applied */
    int64_t stop_reason;
    const char *stop_text;
    bool bugchecked;                /* a BUGCHECK row applied */
    uint32_t bug_code;
    uint64_t bug_p[4];
    int32_t bug_thread, bug_cpu;
    int64_t bug_t;
} ReplayRunInfo;
void replay_state_run_info(const ReplayState *st, ReplayRunInfo *out);

/* Rows so far that did not fit the state, and the first one's description
 * (NULL if none). A complete, correct log has none. */
int64_t replay_state_disagreements(const ReplayState *st);
const char *replay_state_first_disagreement(const ReplayState *st);

/* Save the whole state; load a saved one (NULL and *err on a damaged or
 * foreign byte string). load(save(st)) behaves exactly as st. */
GBytes *replay_state_save(const ReplayState *st);
ReplayState *replay_state_load(const void *data, gsize len, GError **err);

/* ---- a trace opened for replay ----------------------------------------------- */

typedef struct Replay Replay;

/* Open a trace for replay (read-only). Incomplete traces (interrupted runs)
 * are accepted: their state is known up to their last row. On failure
 * returns NULL with *err and *exit_code set to a TRACE_ERR_* status. */
Replay *replay_open(const char *path, int *exit_code, GError **err);
void replay_close(Replay *r);

/* Rows in the trace (the seq of the last one). */
int64_t replay_last_seq(Replay *r);
/* Time of row seq (1..last), ns; -1 if there is no such row. */
int64_t replay_time_of(Replay *r, int64_t seq);
/* The last row at or before time t (0 if the trace starts after t). */
int64_t replay_seq_at_time(Replay *r, int64_t t);
/* meta.<key> of the trace, or NULL. */
const char *replay_meta(Replay *r, const char *key);

/* Make the state the one after rows 1..seq (0 <= seq <= last). Goes forward
 * from the current state when that is nearest, else from the nearest
 * checkpoint. Returns false with *err (code TRACE_ERR_DAMAGED) if the rows
 * cannot be read. */
bool replay_seek(Replay *r, int64_t seq, GError **err);

/* What the last seek did (for people who wonder about speed). */
typedef struct ReplaySeekInfo {
    int64_t from_seq;               /* where it started: a checkpoint, the current state or 0 */
    bool from_checkpoint;
    int64_t rows_applied;
    int64_t checkpoints;            /* usable checkpoints in the file */
} ReplaySeekInfo;
void replay_seek_info(Replay *r, ReplaySeekInfo *out);

/* The current state. */
const ReplayState *replay_state(Replay *r);
/* The time the printer measures durations to ("waiting for ..."): the time
 * of the state's last row, unless set (e.g. to --at) after the seek. */
void replay_set_now(Replay *r, int64_t t);

/* The canonical text of the current state (ke_snapshot_format with the
 * trace's names). Appends to out. */
void replay_snapshot_text(Replay *r, GString *out);

/* A registered name ("thread", "object", "process", "apc"), or NULL. */
const char *replay_name(Replay *r, const char *what, int32_t id);
/* Ids of the threads named `name` (an empty array if none); g_array_unref it. */
GArray *replay_threads_named(Replay *r, const char *name);

/* ---- the debugger-style printer ---------------------------------------------- */

/* !pcr N: one processor. */
void replay_print_pcr(Replay *r, int cpu, GString *out);
/* !thread: one thread (by id), with its wait, counters and both APC states. */
void replay_print_thread(Replay *r, int32_t thread, GString *out);
/* !apc: the queued APCs of one thread (id), or of every thread (-1). */
void replay_print_apcs(Replay *r, int32_t thread, GString *out);
/* The dispatcher objects and their waiters (a short !object per object). */
void replay_print_objects(Replay *r, GString *out);

/* "1.234 ms" style. Appends to out. */
void replay_append_time(GString *out, int64_t ns);

/* ---- checkpoints ------------------------------------------------------------------- */

typedef struct ReplayCheckpointer ReplayCheckpointer;

/* A checkpointer for a trace being written from its first row. min_rows is
 * the fewest rows between checkpoints (0 = REPLAY_CHECKPOINT_MIN_ROWS). */
ReplayCheckpointer *replay_checkpointer_new(int64_t min_rows);
void replay_checkpointer_free(ReplayCheckpointer *cp);

/*
 * The trace writer's hook: call it once per event row, in seq order, right
 * after the row went into `db` (the row's seq is its `seq`). It keeps the
 * state model up to date and, when a checkpoint is due, inserts it into the
 * table replay_checkpoint(seq INTEGER PRIMARY KEY, format INTEGER, state
 * BLOB) of db, created on the first checkpoint, inside the caller's open
 * transaction (so a rolled-back batch takes its checkpoint with it).
 * Prepares no statement that outlives the call. Returns SQLITE_OK or the
 * SQLite error code of the failed write (the model is up to date anyway).
 */
int replay_checkpoint_rows(ReplayCheckpointer *cp, struct sqlite3 *db, int64_t seq, const KTRACE_RECORD *rec);

/* Checkpoints written so far, and their total size in bytes. */
int64_t replay_checkpointer_count(const ReplayCheckpointer *cp);
int64_t replay_checkpointer_bytes(const ReplayCheckpointer *cp);

/* Add checkpoints to an existing trace (opened read-write; those it has are
 * replaced). min_rows as for replay_checkpointer_new. Returns 0 and the
 * number written in *count (may be NULL), or a TRACE_ERR_* reading status
 * or TRACE_ERR_WRITE with *err (the file is then unchanged). */
int replay_index(const char *path, int64_t min_rows, int64_t *count, GError **err);

/* ---- the command ----------------------------------------------------------------------- */

/* `apcsim replay` (src/trace/cmd_replay.c). argv[0] is the program name. */
int cmd_replay(int argc, char **argv);

#endif /* APCSIM_TRACE_REPLAY_H */
