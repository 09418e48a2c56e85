/*
 * snapshot.h - the kernel state as plain data (KSNAP), and its canonical
 * text: what `apcsim replay` rebuilds from a trace and what the live machine
 * holds, in one shape, so that the two can be compared line by line.
 *
 * A KSNAP holds exactly the state the trace promises to make rebuildable:
 *
 *   per CPU     IRQL, current / next (standby) / idle thread, the latched
 *               software interrupt requests, DpcRoutineActive, the DPC queue
 *               in order, the ready queues in order;
 *   per thread  state, the wait (reason, type, mode, alertability, WaitIrql,
 *               objects, timeout), mode, IRQL (running threads), last CPU,
 *               priorities and quantum, both APC states (process, the two
 *               lists in order, KernelApcInProgress, KernelApcPending,
 *               UserApcPending), KernelApcDisable, SpecialApcDisable, both
 *               Alerted flags, ApcStateIndex, ApcQueueable, suspend and
 *               freeze counts, the win10 special-user pending and special
 *               in-progress bits, the thread object's signal state and
 *               waiters, the exit status;
 *   per object  type, signal state, waiters in order; semaphore limit;
 *               mutant owner and abandoned flag; timer due time and period.
 *
 * Two producers fill it: ke_snapshot_take() reads a live KMACHINE
 * (read-only), and the replay model of src/trace/replay.c keeps one up to
 * date row by row. One formatter, ke_snapshot_format(), writes the
 * canonical text of either; so a difference between two texts is always a
 * difference of state, never of formatting.
 *
 * The canonical text is one field per line, "<scope> <name>.<Field> = <value>",
 * in a fixed order: CPUs by number, then threads by id, then objects by id;
 * the fields of one scope in the order of the list above. Names are the ones
 * registered with the trace sink ("#<id>" when a name is NULL); enums carry
 * their NT names. Fields that only mean something in some states (the wait
 * while Waiting, the exit status once Terminated, the IRQL while Running)
 * are printed only then, so stale values the kernel leaves behind never take
 * part in a comparison.
 *
 * Rejected: formatting straight from KMACHINE on one side and from the
 * replay model on the other (two formatters that can drift, and every drift
 * looks like a replay bug); a generic key/value tree (no types, no order).
 *
 * Left out, because no row rebuilds them or no NT debugger shows them: the
 * frames (replay keeps a routine stack from ROUTINE rows for people only),
 * KWAIT.due (see WaitTimeout in snapshot.c), the quantum-end, preempted and
 * APC-bypass flags, the priority decrement, the user APC handed to the
 * return-to-user path (user_dispatch), the Terminated request flag
 * (terminating), a pending Wait = TRUE signal (wait_next), the saved
 * KAPC_STATEs of KeStackAttachProcess buffers (replay keeps them, the live
 * side has them in m->stack_states), IRPs, timer APCs, CPU times.
 *
 * The APC entries and threads carry a few "extras" that only replay knows
 * (when and how an APC was inserted, when a thread's state last changed,
 * how often it was switched to); they are never part of the canonical text
 * and a live snapshot leaves them zero.
 */
#ifndef APCSIM_KE_SNAPSHOT_H
#define APCSIM_KE_SNAPSHOT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct KMACHINE KMACHINE;

#define KSNAP_PRIORITIES 32         /* = KE_MAXIMUM_PRIORITY */
#define KSNAP_NO_DUE INT64_MAX      /* an infinite wait; = SIM_TIME_NEVER */

/* One entry of an APC list. */
typedef struct KSNAP_APC {
    int32_t id;                     /* KAPC id ("apc" name space) */
    bool special;                   /* kernel list: special kernel APC (no NormalRoutine);
                                       user list: special user APC (SU1) */
    /* replay extras (not in the canonical text; 0 in live snapshots) */
    int8_t environment;             /* KAPC_ENVIRONMENT of the insertion */
    int32_t increment;              /* priority increment of the insertion */
    int64_t insert_seq;             /* the APC_INSERT row */
    int64_t insert_t;               /* its time, ns */
    bool at_head;                   /* inserted at the head (the exit APC's user phase, T3) */
} KSNAP_APC;

/* A KAPC_STATE. */
typedef struct KSNAP_APC_STATE {
    int32_t process;                /* process id, -1 = none */
    GArray *list[2];                /* [KernelMode], [UserMode]: KSNAP_APC, head first; NULL = empty */
    bool kernel_apc_in_progress;
    bool kernel_apc_pending;
    bool user_apc_pending;
} KSNAP_APC_STATE;

typedef struct KSNAP_THREAD {
    int32_t id;
    int32_t process;                /* home process */
    int32_t idle_cpu;               /* the CPU it is the idle thread of, -1 */
    bool system;
    uint8_t state;                  /* KTHREAD_STATE */
    /* the wait, meaningful while state == Waiting */
    uint8_t wait_reason;            /* KWAIT_REASON */
    uint8_t wait_type;              /* WaitAll / WaitAny / WaitDelay */
    uint8_t wait_mode;              /* KPROCESSOR_MODE */
    uint8_t wait_irql;              /* WaitIrql: the IRQL the wait returns at */
    bool alertable;
    int64_t wait_timeout;           /* relative ns as the waiter gave it, -1 = infinite */
    int64_t wait_due;               /* absolute ns, KSNAP_NO_DUE = infinite; NOT in the
                                       canonical text (see ks_format_thread) */
    GArray *wait_objects;           /* int32 ids, in the order given; NULL = none */
    /* execution */
    uint8_t mode;                   /* KPROCESSOR_MODE it executes in */
    int32_t cpu;                    /* CPU it runs on or last ran on */
    int8_t priority, base_priority, quantum;
    /* APC machinery */
    int16_t kernel_apc_disable, special_apc_disable;
    bool alerted[2];                /* [KernelMode], [UserMode] */
    uint8_t apc_state_index;
    bool apc_queueable;
    int8_t suspend_count, freeze_count;
    bool special_user_apc_pending;  /* win10 SU2 */
    bool special_apc_in_progress;   /* win10 [DIFF] row 2 */
    KSNAP_APC_STATE apc_state;      /* ApcState */
    KSNAP_APC_STATE saved_apc_state;/* SavedApcState */
    /* the thread as a dispatcher object */
    int32_t signal_state;
    GArray *wait_list;              /* int32 thread ids of its waiters, in order; NULL = none */
    int32_t exit_status;            /* meaningful once Terminated */
    /* replay extras (not in the canonical text; 0 in live snapshots) */
    int64_t state_t;                /* time of the last state change, ns */
    int64_t switches;               /* context switches to it */
} KSNAP_THREAD;

typedef struct KSNAP_OBJECT {
    int32_t id;
    uint8_t type;                   /* KOBJECT_TYPE */
    int32_t signal_state;
    GArray *wait_list;              /* int32 thread ids of its waiters, in order; NULL = none */
    int32_t limit;                  /* semaphores */
    bool mutex;                     /* mutants: a KMUTEX (implicit critical region, R8) */
    int32_t owner;                  /* mutants: owner thread id, -1 = free */
    bool abandoned;                 /* mutants */
    bool timer_inserted;            /* timers: set and not yet expired or cancelled */
    int64_t timer_due;              /* timers: absolute ns, while inserted */
    int64_t timer_period;           /* timers: ns, 0 = one-shot (while inserted) */
} KSNAP_OBJECT;

typedef struct KSNAP_CPU {
    int irql;
    int32_t current, next, idle;    /* thread ids; next = -1 when no standby thread */
    uint8_t swint;                  /* SWINT_APC | SWINT_DISPATCH latches (R1) */
    bool dpc_active;                /* a DPC routine runs */
    GArray *dpc_queue;              /* int32 DPC ids ("apc" name space), head first; NULL = empty */
    GArray *ready[KSNAP_PRIORITIES];/* int32 thread ids per priority, head first; NULL = empty */
} KSNAP_CPU;

typedef struct KSNAP {
    int ncpus;
    KSNAP_CPU *cpu;                 /* [ncpus] */
    GPtrArray *threads;             /* KSNAP_THREAD*, by increasing id */
    GPtrArray *objects;             /* KSNAP_OBJECT*, non-thread objects by increasing id */
} KSNAP;

/* Names of ids: what is "thread", "object", "process" or "apc" (APCs and
 * DPCs); returns NULL if the id has no name. */
typedef const char *(*ksnap_name_fn)(void *ctx, const char *what, int32_t id);

/* ---- lifecycle ---------------------------------------------------------- */

/* An empty snapshot of ncpus CPUs (0 is allowed: no CPUs yet). Never fails. */
KSNAP *ke_snapshot_new(int ncpus);
/* Free everything the snapshot owns. NULL is allowed. */
void ke_snapshot_free(KSNAP *s);
/* Resize the CPU array to ncpus (new CPUs zeroed, ids -1); replay calls it
 * at RUN_BEGIN. */
void ke_snapshot_set_cpus(KSNAP *s, int ncpus);
/* A new thread / object with defaults (ids -1, lists empty), appended; the
 * snapshot owns it. Ids must come in increasing order. */
KSNAP_THREAD *ke_snapshot_add_thread(KSNAP *s, int32_t id);
KSNAP_OBJECT *ke_snapshot_add_object(KSNAP *s, int32_t id);
/* A deep copy. */
KSNAP *ke_snapshot_copy(const KSNAP *s);

/* Free the lists of an APC state and reset it to "no process, empty". */
void ke_snapshot_apc_state_clear(KSNAP_APC_STATE *as);
/* Move src into dst (dst's lists are freed first) and clear src. */
void ke_snapshot_apc_state_move(KSNAP_APC_STATE *dst, KSNAP_APC_STATE *src);

/* Helpers for the int32 id lists (NULL = empty). */
void ke_snapshot_ids_append(GArray **ids, int32_t id);
void ke_snapshot_ids_prepend(GArray **ids, int32_t id);
/* Remove every occurrence; returns how many were removed. */
int ke_snapshot_ids_remove(GArray **ids, int32_t id);
guint ke_snapshot_ids_len(const GArray *ids);

/* ---- live machine ------------------------------------------------------- */

/* The state of a live machine. Reads m only. Call it between kernel steps
 * (for example when the runner resumes scenario code, or after the run):
 * inside a step some changes are made before their row is emitted and some
 * after it (ke_trace_field is called before the assignment in most setters,
 * APC_INSERT after the link), so the state seen from m->row_hook is not
 * always "all rows up to seq". */
KSNAP *ke_snapshot_take(KMACHINE *m);

/* The canonical text of the live machine: ke_snapshot_take + format, with
 * the machine's own names. Appends to out. */
void ke_snapshot_text(KMACHINE *m, GString *out);

/* ---- text ---------------------------------------------------------------- */

/* Append the canonical text of s (see the top of this file). */
void ke_snapshot_format(const KSNAP *s, ksnap_name_fn names, void *names_ctx, GString *out);

/* Value formatting shared by the canonical text and the replay printer. */
void ke_snapshot_append_name(GString *out, ksnap_name_fn names, void *ctx, const char *what, int32_t id);
void ke_snapshot_append_irql(GString *out, int irql);
void ke_snapshot_append_status(GString *out, int32_t status);

#endif /* APCSIM_KE_SNAPSHOT_H */
