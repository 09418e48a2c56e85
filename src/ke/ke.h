/*
 * ke.h - the kernel model's structures and internal interface (as ReactOS's
 * ke_x.h is to ntoskrnl/ke). Included by every file of src/ke and by the
 * scenario runtime; it includes neither lua.h nor sqlite3.h.
 *
 * Execution model
 * ---------------
 * Each simulated thread owns a STACK OF FRAMES. A frame is either scenario
 * code (FRAME_CODE: a thread body, an APC routine, a DPC routine, run by the
 * code runner as a Lua coroutine) or a kernel program (KiDeliverApc, the
 * wait loop, the dispatch interrupt, the return to user mode ...), written
 * in C as a small state machine with a program counter `pc` so that it can
 * stop where real kernel code would block or call out, and resume there.
 * A CPU runs the top frame of its current thread until that frame either
 * needs simulated time to pass (compute), blocks (the thread switches out),
 * or pushes/pops frames. Interrupts push a frame on top of whatever the
 * current thread is running, exactly where real NT runs an interrupt on the
 * interrupted thread's stack; a DPC therefore runs "in arbitrary thread
 * context" (R10) because it is pushed on whichever thread the CPU runs.
 *
 * Rejected alternative: one C stack per simulated thread (ucontext). It
 * reads like ReactOS but costs a stack per thread (the 100,000-thread goal),
 * a system call per switch, and sanitizer trouble.
 *
 * Time and order
 * --------------
 * Kernel code takes no simulated time; only compute(d), the configured
 * context-switch cost and DPC/APC routines that compute advance the clock.
 * Everything that happens "at the same time" is ordered by the engine's
 * sequence number (sim.h); cross-CPU effects (IPIs, readying a thread for
 * another CPU) are engine events at the current time, processed after the
 * CPU that caused them stops.
 */
#ifndef APCSIM_KE_H
#define APCSIM_KE_H

#include <glib.h>
#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "ke/ktrace.h"
#include "ke/ntdef.h"
#include "sim/sim.h"

#define KE_MAX_CPUS 64
#define KE_MAX_WAIT_OBJECTS 64
#define KE_MAXIMUM_PRIORITY 32
#define KE_LOW_REALTIME_PRIORITY 16
#define KE_MAXIMUM_SUSPEND_COUNT 127
#define KE_ALERT_INCREMENT 2
#define KE_MUTANT_INCREMENT 1
#define KE_IO_USER_APC_INCREMENT 2
#define KE_TERMINATE_INCREMENT 2

typedef struct KMACHINE KMACHINE;
typedef struct KPRCB KPRCB;
typedef struct KTHREAD KTHREAD;
typedef struct KPROCESS KPROCESS;
typedef struct KAPC KAPC;
typedef struct KDPC KDPC;
typedef struct DISPATCHER_HEADER DISPATCHER_HEADER;

/* Software interrupt latch bits (R1). */
#define SWINT_APC      0x1
#define SWINT_DISPATCH 0x2

/* ---- profiles (SEMANTICS.md "Profiles") ------------------------------- */
typedef enum KPROFILE { ProfileNt52 = 0, ProfileReactos = 1, ProfileWin10 = 2 } KPROFILE;
const char *ke_profile_name(KPROFILE p);
int ke_profile_from_name(const char *name);   /* -1 if unknown */

/* ---- dispatcher objects -------------------------------------------------- */

typedef struct KWAIT_BLOCK {
    GList link;                     /* in the object's wait list; data = this */
    KTHREAD *thread;
    DISPATCHER_HEADER *object;
    int16_t wait_key;               /* index in the wait's object array */
    uint8_t wait_type;              /* WaitAny / WaitAll */
    bool linked;
} KWAIT_BLOCK;

struct DISPATCHER_HEADER {
    int32_t id;                     /* object id (threads have one too) */
    uint8_t type;                   /* KOBJECT_TYPE */
    int32_t signal_state;           /* events/timers 0/1, semaphore count, mutant 1 - recursion */
    GQueue wait_list;               /* of KWAIT_BLOCK links, FIFO (K3b) */
    char *name;
};

typedef struct KEVENT { DISPATCHER_HEADER header; } KEVENT;

typedef struct KSEMAPHORE {
    DISPATCHER_HEADER header;
    int32_t limit;
} KSEMAPHORE;

typedef struct KMUTANT {
    DISPATCHER_HEADER header;
    KTHREAD *owner;                 /* NULL when free */
    GList owner_link;               /* in owner->mutant_list */
    bool abandoned;
    bool apc_disable;               /* true for a KMUTEX (R8: implicit critical region) */
} KMUTANT;

typedef struct KTIMER {
    DISPATCHER_HEADER header;
    sim_time_t due;                 /* absolute, or -1 when not set */
    sim_time_t period;              /* 0 = one-shot */
    uint64_t event;                 /* engine handle of the expiry */
    GList expired_link;             /* in the CPU-0 expired list */
    bool inserted;
    KAPC *apc;                      /* SetWaitableTimer completion (issue 3), may be NULL */
    KTHREAD *wait_owner;            /* non-NULL: this is a thread's built-in wait timer */
} KTIMER;

/* ---- code frames ------------------------------------------------------- */

typedef enum KFRAME_KIND {
    FRAME_CODE = 0,         /* scenario code (Lua coroutine) */
    FRAME_THREAD_START,     /* base frame: start the body, then exit the thread */
    FRAME_IDLE,             /* base frame of an idle thread */
    FRAME_DISPATCH_INT,     /* KiDispatchInterrupt: DPCs, quantum end, switch */
    FRAME_APC_INT,          /* the APC software interrupt (D1) */
    FRAME_DELIVER_APC,      /* KiDeliverApc (D2-D4) */
    FRAME_WAIT,             /* KeWaitFor* / KeDelayExecutionThread (W1-W8) */
    FRAME_USER_EXIT,        /* return to user mode (D5-D7) */
    FRAME_USER_APC,         /* user-mode APC dispatch: NR in user mode, then NtContinue (D4, D6) */
    FRAME_SPIN,             /* kernel time with nothing else: context-switch cost */
    FRAME_CHECK_APC,        /* KiCheckForKernelApcDelivery at PASSIVE (R6) */
    FRAME_EXIT_THREAD,      /* PspExitThread (T5) */
    FRAME_DETACH,           /* KeDetachProcess / KeUnstackDetachProcess (E5, E6) */
    FRAME__COUNT
} KFRAME_KIND;

/* What the code frame runs (for ROUTINE rows and for the runner). */
typedef struct KCODE {
    int32_t ref;                    /* runner's handle for the function (0 = none) */
    int32_t arg_ref;                /* runner's handle for an argument value (0 = none) */
} KCODE;

typedef struct KFRAME {
    uint8_t kind;                   /* KFRAME_KIND */
    uint8_t routine;                /* KROUTINE_KIND for FRAME_CODE */
    uint8_t saved_irql;             /* IRQL to restore when this frame ends */
    uint8_t saved_mode;             /* mode to restore when this frame ends */
    uint8_t flag;                   /* kind-specific */
    uint16_t pc;                    /* program counter of kernel programs */
    int32_t co;                     /* runner's coroutine handle (FRAME_CODE), 0 = not started */
    KCODE code;                     /* what FRAME_CODE runs */
    int32_t owner_id;               /* APC/DPC id for ROUTINE rows, -1 */
    int32_t call;                   /* APC routines: the runner's call id (KAPC_CALL.id) */
    sim_time_t compute_left;        /* simulated time still to spend before resuming */
    sim_time_t compute_until;       /* while computing: when it ends */
    int64_t value;                  /* kind-specific local (e.g. wait status, APC id) */
    int64_t saved_result;           /* t->frame_result when pushed: what a transparent frame gives back */
    void *ptr;                      /* kind-specific local (e.g. the wait record, the APC) */
} KFRAME;

/* ---- APC state (A1-A7; queues filled by the APC issue) ------------------ */

typedef struct KAPC_STATE {
    GQueue list[2];                 /* [KernelMode], [UserMode]: KAPC links, head first */
    KPROCESS *process;
    bool kernel_apc_in_progress;    /* KAIP */
    bool kernel_apc_pending;        /* KAP */
    bool user_apc_pending;          /* UAP */
} KAPC_STATE;

/* Built-in APC routines (the kernel's own, run in C). */
typedef enum KAPC_INTERNAL {
    ApcScenario = 0,                /* routines are scenario code */
    ApcSuspend,                     /* KiSuspendNop / KiSuspendThread / KiSuspendRundown (S1) */
    ApcExit,                        /* PsExitSpecialApc / PspExitNormalApc / PspExitApcRundown (T2, T3) */
    ApcIoCompletion,                /* IopCompleteRequest (IO1, IO2) */
} KAPC_INTERNAL;

struct KAPC {
    int32_t id;
    char *name;
    KTHREAD *thread;
    GList link;                     /* in a KAPC_STATE list; data = this */
    KAPC_STATE *state;              /* the block it is queued in, NULL if not inserted */
    uint8_t internal;               /* KAPC_INTERNAL */
    uint8_t environment;            /* KAPC_ENVIRONMENT (Insert env resolved at insertion, A4) */
    uint8_t apc_mode;               /* KPROCESSOR_MODE */
    bool has_normal_routine;        /* NR != NULL: normal kernel or user APC (A2, A3) */
    bool has_rundown_routine;
    bool inserted;                  /* A5 */
    bool special_user;              /* SU1 (win10) */
    bool freed;                     /* the scenario's handle is stale */
    int32_t runner_rec;             /* > 0: the runner's record of its routines/context (call_begin);
                                     * numbered densely by the runner; 0: none */
    void *owner;                    /* built-in APCs: the KIRP, ... */
    int64_t normal_context;         /* for built-in APCs: exit status, IRP id... */
    int64_t system_argument2;       /* built-in APCs: phase markers (T3) */
};

/* One delivery of one APC: the A6 copies. The scenario-side values (routines,
 * context, arguments) live in the runner under `id`; C keeps what it decides on. */
typedef struct KAPC_CALL {
    int32_t id;                     /* runner call id (0 for built-in APCs) */
    KAPC *apc;
    KPROCESS *process_at_entry;     /* D8 */
    bool normal_routine;            /* NR still non-NULL after the KR (D3, D4) */
    uint8_t internal;
    int64_t normal_context;
    int64_t system_argument2;
    uint8_t apc_mode;
    bool regular_pending;           /* UAP was set when this user APC was taken (SU2, D6) */
} KAPC_CALL;

/* An I/O request packet, as far as APCs see it (IO1-IO3). */
typedef struct KIRP {
    int32_t id;
    char *name;
    KTHREAD *thread;                /* the requester */
    KAPC *apc;                      /* the embedded KAPC (Tail.Apc) */
    KEVENT *event;                  /* UserEvent, may be NULL */
    uint8_t environment;            /* ApcEnvironment recorded in the IRP */
    bool has_completion;            /* an APC routine was supplied (ReadFileEx) */
    uint8_t requestor_mode;         /* Irp->RequestorMode: KernelMode for a system thread's
                                     * request, else UserMode (irp{} has no mode field) */
    bool pending;                   /* not completed yet */
    int64_t boost;
} KIRP;

/* ---- threads and processes --------------------------------------------- */

struct KPROCESS {
    int32_t id;
    char *name;
    bool system;
};

/* A thread's wait: like NT's three built-in wait blocks (THREAD_WAIT_OBJECTS),
 * up to KE_WAIT_INLINE objects need no allocation; a larger wait grows the
 * arrays once and keeps them. */
#define KE_WAIT_INLINE 3
typedef struct KWAIT {
    DISPATCHER_HEADER **objects;    /* objects_inline or a heap array of cap */
    KWAIT_BLOCK *blocks;
    int cap;
    int count;
    uint8_t wait_type;              /* WaitAny / WaitAll / WaitDelay */
    uint8_t mode;                   /* WaitMode */
    bool alertable;
    uint8_t reason;                 /* KWAIT_REASON */
    sim_time_t timeout;             /* relative ns as given; -1 = infinite */
    sim_time_t due;                 /* absolute due time; SIM_TIME_NEVER = infinite */
    uint64_t timer_event;           /* engine handle of the timeout */
    DISPATCHER_HEADER *objects_inline[KE_WAIT_INLINE];
    KWAIT_BLOCK blocks_inline[KE_WAIT_INLINE];
} KWAIT;

struct KTHREAD {
    DISPATCHER_HEADER header;       /* a thread is waitable: signaled at exit */
    int32_t id;                     /* = header.id */
    KPROCESS *process;              /* home process */
    uint8_t state;                  /* KTHREAD_STATE */
    uint8_t wait_reason;
    uint8_t mode;                   /* current (previous) mode: KernelMode / UserMode */
    uint8_t wait_irql, wait_mode;   /* captured at wait time */
    bool alertable;
    bool system;                    /* kernel-only thread */
    bool idle;                      /* a CPU's idle thread */
    bool preempted;                 /* switched out by preemption: head of ready queue (K1) */
    bool quantum_end;               /* its quantum ran out */
    bool apc_bypass_off;            /* switched out at IRQL >= APC_LEVEL (K2) */
    int8_t priority, base_priority, priority_decrement;
    int8_t quantum, quantum_reset;
    uint64_t affinity;
    int32_t cpu;                    /* CPU it runs on / last ran on */
    int32_t standby_cpu;            /* CPU it is standby on, -1 */
    GList ready_link;               /* in a ready queue */
    int32_t ready_cpu;              /* which CPU's ready queue holds it, -1 */
    NTSTATUS wait_status;
    NTSTATUS exit_status;
    KWAIT *wait;                    /* the record of the innermost running or blocked wait */
    KWAIT **wait_pool;              /* one record per nesting depth (a wait inside an APC inside a wait) */
    int wait_depth, wait_pool_cap;
    KTIMER wait_timer;              /* the built-in timer of every wait with a timeout (W8) */

    /* APC machinery (A, D, R, AL, E, S, T rules) */
    KAPC_STATE apc_state, saved_apc_state;
    KAPC_STATE *apc_state_pointer[2];
    uint8_t apc_state_index;
    bool apc_queueable;
    int16_t kernel_apc_disable, special_apc_disable;
    bool alerted[2];
    int8_t suspend_count, freeze_count;
    KAPC *suspend_apc;
    struct KSEMAPHORE *suspend_semaphore;
    bool terminating;               /* the Terminated flag of T2 */
    bool unwinding;                 /* PspExitThread drops its frames: no mode changes */
    int stack_attach_depth;         /* KeStackAttachProcess not yet undone */
    GQueue mutant_list;             /* owned mutants (for abandonment / KMUTEX check) */
    KAPC_CALL *user_dispatch;       /* D4: a user APC to run on the way to user mode */
    bool special_user_apc_pending;  /* SU2 (win10): a special user APC waits for user mode */
    bool special_apc_in_progress;   /* [DIFF] row 2 (win10): an SK's KR is running */
    bool wait_next;                 /* a signal "with Wait = TRUE" holds the dispatcher lock */
    uint8_t wait_next_irql;         /* the IRQL before it (the WaitIrql of the wait to come) */

    /* execution */
    KFRAME *frames;                 /* stack; frames[nframes-1] is on top */
    int nframes, frames_cap;
    int64_t frame_result;           /* the value the last popped frame produced */
    KCODE body;
    sim_time_t start_at;
    bool start_suspended;

    /* accounting (summary only) */
    sim_time_t cpu_time;
    int64_t waits;
    int64_t switches;
};

/* ---- CPUs ---------------------------------------------------------------- */

struct KDPC {
    int32_t id;
    char *name;
    KCODE routine;
    GList link;
    bool inserted;
    bool once;                      /* free after it ran (scenario at()) */
    int32_t target_cpu;
};

struct KPRCB {
    int number;
    KIRQL irql;
    uint8_t swint;                  /* SWINT_* latch (R1) */
    KTHREAD *current, *next, *idle;
    GQueue dpc_queue;               /* KDPC links, FIFO */
    GQueue ready[KE_MAXIMUM_PRIORITY];
    uint32_t ready_summary;         /* bit p set <=> ready[p] non-empty */
    bool dpc_active;
    bool computing;                 /* top frame of current is spending time */
    uint64_t compute_event;
    sim_time_t compute_start;
    bool halted;                    /* idle with nothing to do */
    bool in_run;                    /* re-entrancy guard of ke_cpu_run */
    sim_time_t busy_time;
    int64_t dpcs;
};

/* ---- the runner: how scenario code is run (implemented by src/lua) ------ */

typedef enum KRUN_RESULT {
    KRUN_RETURNED = 0,              /* the code returned; *ret holds its integer result */
    KRUN_COMPUTE,                   /* it asked for time: frame->compute_left is set */
    KRUN_KCALL,                     /* it made a kernel call that needs the CPU loop */
    KRUN_ERROR                      /* scenario error: ke_fail was called */
} KRUN_RESULT;

typedef struct KRUNNER {
    void *ctx;
    /* Start (frame->co == 0) or resume the code of the top frame of t. */
    KRUN_RESULT (*resume)(void *ctx, KTHREAD *t, KFRAME *f, int64_t *ret);
    /* The frame is gone: release its coroutine (f->co may be 0). */
    void (*release)(void *ctx, KFRAME *f);
    /* Release a value handle (KCODE refs, APC call ids). */
    void (*unref)(void *ctx, int32_t ref);
    /* Start one delivery of a scenario APC: copy its routines, context and
     * system arguments (A6) into a new call; returns the call id (> 0). */
    int32_t (*call_begin)(void *ctx, KAPC *apc);
    /* The scenario's file:line running now (for messages), or NULL. */
    const char *(*where)(void *ctx);
} KRUNNER;

/* ---- the machine --------------------------------------------------------- */

typedef enum KSTOP_REASON {
    StopNone = 0, StopAllTerminated, StopNothingToDo, StopAtTime, StopMaxEvents,
    StopBugcheck, StopScenarioError, StopExpectFailed, StopInterrupted, StopTraceError, StopInvariant
} KSTOP_REASON;
const char *ke_stop_reason_name(KSTOP_REASON r);

typedef struct KCONFIG {
    int cpus;
    KPROFILE profile;
    uint64_t seed;
    sim_time_t clock_tick;          /* default 15.625 ms */
    int quantum;                    /* QuantumReset, default 6 units */
    sim_time_t context_switch_cost; /* default 0 */
    sim_time_t stop_at;             /* SIM_TIME_NEVER = none */
    bool timer_resolution_tick;
    int64_t max_events;             /* 0 = unlimited */
    int64_t max_zero_time_steps;    /* kernel calls without time passing on one CPU */
} KCONFIG;

typedef struct KBUGCHECK {
    uint32_t code;
    const char *name;
    uint64_t p[4];
    int32_t thread, cpu;
    sim_time_t t;
} KBUGCHECK;

/* What the run's summary tells of APCs and marks (the trace holds it all;
 * these counters exist so that `run --no-trace` can say it too). */
enum { KSTAT_SPECIAL = 0, KSTAT_NORMAL, KSTAT_USER, KSTAT_KINDS };
enum { KSTAT_INSERTED = 0, KSTAT_DELIVERED, KSTAT_REMOVED, KSTAT_RUNDOWN, KSTAT_FATES };
#define KE_MARKS_KEPT 10            /* first and last marks the summary shows */
typedef struct KMARK_NOTE {
    sim_time_t t;
    int cpu;
    int32_t thread;
    char *label;
} KMARK_NOTE;
typedef struct KSTATS {
    int64_t apc[KSTAT_KINDS][KSTAT_FATES];   /* insertions and how APCs left their queue */
    int64_t marks;                           /* mark() calls */
    KMARK_NOTE first[KE_MARKS_KEPT];         /* the first marks */
    KMARK_NOTE last[KE_MARKS_KEPT];          /* the last ones, a ring: mark n at n % KE_MARKS_KEPT */
} KSTATS;

struct KMACHINE {
    KCONFIG cfg;
    SimQueue *q;
    SimRand rng;
    sim_time_t now;
    int64_t events;                 /* engine events processed */
    int64_t zero_steps;             /* steps since time last advanced */
    KPRCB cpu[KE_MAX_CPUS];
    int ncpus;
    GPtrArray *threads;             /* KTHREAD*, creation order (idle threads first) */
    GPtrArray *objects;             /* DISPATCHER_HEADER* of non-thread objects */
    GPtrArray *by_id;               /* DISPATCHER_HEADER* by id (NULL for processes) */
    GPtrArray *processes;
    GPtrArray *apcs;                /* KAPC* by creation */
    GPtrArray *apc_by_id;           /* KAPC* indexed by id (NULL for DPC ids) */
    GHashTable *thread_by_name;     /* name -> KTHREAD*, for lookups only (never iterated) */
    GPtrArray *dpcs;
    GPtrArray *irps;
    GPtrArray *stack_states;        /* KAPC_STATE_BUF* of KeStackAttachProcess */
    KPROCESS *system_process;
    int32_t next_id;                /* threads, objects, processes */
    int32_t next_apc_id;            /* APCs and DPCs */
    GQueue expired_timers;          /* KTIMER expired_link, processed by CPU 0's DPC retirement */
    KTRACE_SINK sink;
    bool tracing;
    KRUNNER runner;
    KTHREAD *running;               /* thread whose frame is being stepped (for the runner) */
    KPRCB *running_cpu;
    int running_depth;              /* nframes of m->running when its step began */
    bool started;
    KSTOP_REASON stop;
    char *stop_message;             /* scenario error / expectation text */
    KBUGCHECK bugcheck;
    bool bugchecked;
    char *expected_bugcheck;        /* expect_bugcheck(name) */
    uint64_t tick_event;
    int64_t live_threads;           /* non-idle threads not terminated */
    int64_t pending_starts;         /* threads with start_at not reached */
    GPtrArray *sched;               /* KSCHED* of at()/every() */
    int64_t pending_scheduled;      /* at() and finite every() runs still to come */
    volatile int interrupted;       /* set by a signal handler */
    volatile sig_atomic_t *interrupt_flag; /* a process-wide flag to watch too (may be NULL) */
    void (*progress)(void *ctx, const KMACHINE *m);  /* called every 65536 events, may be NULL */
    int64_t rows;                   /* trace rows emitted so far (= seq of the last row) */
    bool check_invariants;          /* check after every step (invariants.c) */
    int64_t invariant_rows_before;  /* rows before the step that broke one */
    /* Called after every trace row (tests: replay-versus-live); may be NULL. */
    void (*row_hook)(void *ctx, KMACHINE *m, int64_t seq);
    void *row_hook_ctx;
    void *progress_ctx;
    KSTATS stats;
};

/* A scenario DPC scheduled with at()/every(). */
typedef struct KSCHED {
    KDPC *dpc;
    int cpu;
    sim_time_t period;              /* 0 = once */
    int64_t count;                  /* runs left; -1 = forever */
} KSCHED;

/* ================= public kernel interface ================================
 * Conventions: `m` is the machine. Functions named after NT routines (Ke*,
 * Ki*) follow the NT contract given in their comment; "current thread" is
 * m->running (the thread whose frame is being stepped) and "this CPU" is
 * m->running_cpu. A function that may make the current thread's code wait
 * for the CPU loop (push a frame, switch) says so; the caller (the runner's
 * binding) must then yield to the CPU loop (ke_needs_yield tells).
 */

/* machine.c */
void ke_config_default(KCONFIG *cfg);
/* Create a machine; cfg is copied. sink/runner may have NULL functions (no
 * trace / no code). Creates the System process and one idle thread per CPU. */
KMACHINE *ke_machine_new(const KCONFIG *cfg, KTRACE_SINK sink, KRUNNER runner);
void ke_machine_free(KMACHINE *m);
/* Run until a stop condition; returns the reason (also in m->stop). */
KSTOP_REASON ke_machine_run(KMACHINE *m);
/* Ask the run to stop at the next event boundary (signal handler safe). */
void ke_machine_interrupt(KMACHINE *m);
/* End the run with a scenario error (message copied); the code frame that
 * called it must return KRUN_ERROR. */
void ke_fail(KMACHINE *m, KSTOP_REASON why, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
/* Emit one trace row (no-op when tracing is off). */
void ke_trace(KMACHINE *m, int kind, int32_t cpu, int32_t thread, int32_t obj,
              int64_t a, int64_t b, int64_t c, int64_t d, int64_t e, const char *text);
void ke_trace_name(KMACHINE *m, const char *what, int32_t id, const char *name);
/* The KSTATS kind of an APC (KSTAT_SPECIAL, KSTAT_NORMAL, KSTAT_USER). */
int ke_apc_stat_kind(const KAPC *apc);
const char *ke_apc_stat_kind_name(int kind);     /* "special kernel", "normal kernel", "user" */
/* mark(label) of the scenario API: a MARK row for thread t at the running
 * CPU's IRQL, noted for the run's summary too (KSTATS). Any IRQL; the
 * runtime calls it from running scenario code. */
void ke_mark(KMACHINE *m, KTHREAD *t, const char *label);
/* Trace a scalar thread field change (TR_FIELD) if old != new. */
void ke_trace_field(KMACHINE *m, KTHREAD *t, KTHREAD_FIELD f, int64_t old_v, int64_t new_v);
/* True when the current code must yield to the CPU loop now (a deliverable
 * software interrupt, a frame pushed, a pending switch). */
bool ke_needs_yield(KMACHINE *m);
/* Schedule a scenario DPC (at/every): at time t run code on cpu. period 0 =
 * once; count -1 = forever. */
void ke_schedule_dpc(KMACHINE *m, sim_time_t t, int cpu, KCODE code, sim_time_t period, int64_t count, const char *name);
sim_time_t ke_now(const KMACHINE *m);

/* process.c */
KPROCESS *ke_process_create(KMACHINE *m, const char *name);

/* thread.c */
typedef struct KTHREAD_PARAMS {
    const char *name;
    KPROCESS *process;
    int priority;
    uint64_t affinity;              /* 0 = all CPUs */
    bool system;
    sim_time_t start_at;            /* 0 = at the start */
    bool suspended;
    bool idle;                      /* a CPU's idle thread (machine.c only) */
    KCODE body;
} KTHREAD_PARAMS;
KTHREAD *ke_thread_create(KMACHINE *m, const KTHREAD_PARAMS *p);
KFRAME *ke_push_frame(KMACHINE *m, KTHREAD *t, KFRAME_KIND kind);
KFRAME *ke_push_code(KMACHINE *m, KTHREAD *t, KROUTINE_KIND rk, KCODE code, int32_t owner_id);
void ke_pop_frame(KMACHINE *m, KTHREAD *t, int64_t result);
/* Pop a frame that produces no result of its own (interrupts, the return to
 * user mode, APC delivery...): the frame below sees the result it had when
 * this one was pushed, whatever ran inside. */
void ke_pop_transparent(KMACHINE *m, KTHREAD *t);
static inline KFRAME *ke_top_frame(KTHREAD *t) { return t->nframes ? &t->frames[t->nframes - 1] : NULL; }
KTHREAD *ke_thread_by_name(KMACHINE *m, const char *name);
KAPC *ke_apc_by_id(KMACHINE *m, int32_t id);     /* NULL if unknown */
/* Change the thread's current mode (a MODE row if it changes). */
void ke_set_mode(KMACHINE *m, KTHREAD *t, int mode);

/* irql.c (R1-R3) */
void KeRaiseIrql(KMACHINE *m, KIRQL new_irql, KIRQL *old_irql);
void KeLowerIrql(KMACHINE *m, KIRQL new_irql);
void ki_set_irql(KMACHINE *m, KPRCB *c, KIRQL irql);
void ki_request_software_interrupt(KMACHINE *m, KPRCB *c, int level);
bool ki_swint_deliverable(const KPRCB *c);

/* dpc.c (R10) */
KDPC *ke_dpc_create(KMACHINE *m, const char *name, KCODE routine);
bool KeInsertQueueDpc(KMACHINE *m, KDPC *dpc, int cpu);

/* dispatcher.c (K1-K6) */
void ki_ready_thread(KMACHINE *m, KTHREAD *t);
void ki_ready_after_wait(KMACHINE *m, KTHREAD *t, int increment);
void ke_register_object(KMACHINE *m, DISPATCHER_HEADER *h);
KTHREAD *ki_select_ready_thread(KMACHINE *m, KPRCB *c, int min_priority);
KTHREAD *ki_select_ready_thread_naive(KMACHINE *m, KPRCB *c, int min_priority);
void ki_set_state(KMACHINE *m, KTHREAD *t, KTHREAD_STATE s);
void ki_switch_out_current(KMACHINE *m, KPRCB *c);   /* current blocked/terminated: pick next */
void ki_swap_to(KMACHINE *m, KPRCB *c, KTHREAD *next, KIRQL switched_out_irql);
void ki_set_priority(KMACHINE *m, KTHREAD *t, int prio, KPRIO_REASON why);
void ki_clock_tick(KMACHINE *m);
void ki_charge_quantum(KMACHINE *m, KTHREAD *t, int units);
void ki_quantum_end(KMACHINE *m, KPRCB *c);
void ki_cpu_kick(KMACHINE *m, KPRCB *c);
void ki_cpu_run(KMACHINE *m, KPRCB *c);
void ki_cpu_stop_compute(KMACHINE *m, KPRCB *c);
int KeSetPriorityThread(KMACHINE *m, KTHREAD *t, int prio);

/* object.c */
KEVENT *ke_event_create(KMACHINE *m, const char *name, bool notification, bool signaled);
KSEMAPHORE *ke_semaphore_create(KMACHINE *m, const char *name, int32_t count, int32_t limit);
KMUTANT *ke_mutant_create(KMACHINE *m, const char *name, bool kmutex);
KTIMER *ke_timer_create(KMACHINE *m, const char *name, bool notification);
int32_t KeSetEvent(KMACHINE *m, KEVENT *e, int increment);
int32_t KeResetEvent(KMACHINE *m, KEVENT *e);
int32_t KePulseEvent(KMACHINE *m, KEVENT *e, int increment);
/* Returns the previous count, or -1 with *status = STATUS_SEMAPHORE_LIMIT_EXCEEDED. */
int32_t KeReleaseSemaphore(KMACHINE *m, KSEMAPHORE *s, int increment, int32_t adjustment, NTSTATUS *status);
/* Returns the previous signal state, or sets *status = STATUS_MUTANT_NOT_OWNED. May push a frame (R8). */
int32_t KeReleaseMutant(KMACHINE *m, KMUTANT *mu, int increment, bool abandon, NTSTATUS *status);
bool KeSetTimer(KMACHINE *m, KTIMER *t, sim_time_t due_relative, sim_time_t period, KAPC *apc);
bool KeCancelTimer(KMACHINE *m, KTIMER *t);
void ki_timer_expire(KMACHINE *m, KTIMER *t);
/* Absolute due time of a relative interval: exact, or the first clock tick
 * at or after it with machine{timer_resolution = "tick"}. A zero interval
 * stays "now" (it means "test and return"). */
sim_time_t ki_due_time(KMACHINE *m, sim_time_t relative);
void ki_signal_object(KMACHINE *m, DISPATCHER_HEADER *h, int increment);  /* KiWaitTest */
void ki_set_signal_state(KMACHINE *m, DISPATCHER_HEADER *h, int32_t v);
bool ki_object_satisfiable(DISPATCHER_HEADER *h, KTHREAD *t);
void ki_object_satisfy(KMACHINE *m, DISPATCHER_HEADER *h, KTHREAD *t);
DISPATCHER_HEADER *ke_object_by_id(KMACHINE *m, int32_t id);
void ki_abandon_mutants(KMACHINE *m, KTHREAD *t);
/* PspExitThread's timer rundown (T5), at PASSIVE in the exiting thread t. */
void ki_timer_rundown(KMACHINE *m, KTHREAD *t);

/* wait.c (W1-W8) */
typedef struct KWAIT_ARGS {
    DISPATCHER_HEADER **objects;
    int count;
    KWAIT_TYPE wait_type;
    KPROCESSOR_MODE mode;
    bool alertable;
    sim_time_t timeout;             /* relative ns; -1 = infinite */
    KWAIT_REASON reason;
} KWAIT_ARGS;
/* Start a wait of the current thread: pushes a FRAME_WAIT; the result
 * (NTSTATUS) is the frame's result. Caller yields. */
void ke_wait_begin(KMACHINE *m, const KWAIT_ARGS *a);
void ki_unwait_thread(KMACHINE *m, KTHREAD *t, NTSTATUS status, int increment);
void ki_wait_timeout(KMACHINE *m, KTHREAD *t);
void ki_wait_timer_arm(KMACHINE *m, KTHREAD *t, sim_time_t due);
void ki_wait_timer_cancel(KMACHINE *m, KTHREAD *t);

/* apc.c (A, I, D rules) */
KAPC *KeInitializeApc(KMACHINE *m, KTHREAD *t, KAPC_ENVIRONMENT env, KPROCESSOR_MODE mode,
                      bool normal_routine, bool rundown_routine, const char *name);
bool KeInsertQueueApc(KMACHINE *m, KAPC *apc, int increment);
bool ki_insert_queue_apc(KMACHINE *m, KAPC *apc, int increment);  /* I3: no Q check */
bool KeRemoveQueueApc(KMACHINE *m, KAPC *apc);
int KeFlushQueueApc(KMACHINE *m, KTHREAD *t, KPROCESSOR_MODE mode, KAPC **out, int max);
bool KeAlertThread(KMACHINE *m, KTHREAD *t, KPROCESSOR_MODE mode);
bool KeTestAlertThread(KMACHINE *m, KPROCESSOR_MODE mode);
void ki_apc_state_init(KAPC_STATE *s, KPROCESS *p);
bool ki_kernel_list_empty(const KAPC_STATE *s);
/* T3/T4: the exit APC, re-queued for its user phase, heads the user list
 * with UserApcPending set: the next return to user mode must deliver it
 * first, whatever else is prepared or queued (a special user APC, a user
 * routine already handed to KiUserApcDispatcher). Any caller. */
bool ki_exit_apc_first(const KTHREAD *t);
void ki_check_for_kernel_apc_delivery(KMACHINE *m, KTHREAD *t);  /* R6 */
void KeEnterCriticalRegion(KMACHINE *m);
void KeLeaveCriticalRegion(KMACHINE *m);
void KeEnterGuardedRegion(KMACHINE *m);
void KeLeaveGuardedRegion(KMACHINE *m);
bool KeAreApcsDisabled(KMACHINE *m);
bool KeAreAllApcsDisabled(KMACHINE *m);
void ki_set_kad(KMACHINE *m, KTHREAD *t, int v);
void ki_set_sad(KMACHINE *m, KTHREAD *t, int v);
void ki_set_kap(KMACHINE *m, KTHREAD *t, KAPC_STATE *s, bool v);
void ki_set_uap(KMACHINE *m, KTHREAD *t, KAPC_STATE *s, bool v);
void ki_set_alerted(KMACHINE *m, KTHREAD *t, int mode, bool v);
/* W2 alertability test; returns 0 or STATUS_ALERTED / STATUS_USER_APC. */
NTSTATUS ki_check_alertability(KMACHINE *m, KTHREAD *t, bool alertable, KPROCESSOR_MODE wait_mode);

/* suspend.c (S1-S6, AL3) */
int KeSuspendThread(KMACHINE *m, KTHREAD *t, NTSTATUS *status);
int KeResumeThread(KMACHINE *m, KTHREAD *t);
int KeForceResumeThread(KMACHINE *m, KTHREAD *t);
int KeAlertResumeThread(KMACHINE *m, KTHREAD *t);
/* The suspend APC's NR, KiSuspendThread: pushes its wait (S1). */
void ki_suspend_normal_routine(KMACHINE *m, KTHREAD *t);

/* terminate.c (T1-T6) */
/* PsTerminateThread / PspTerminateThreadByPointer. Self: T1, pushes
 * FRAME_EXIT_THREAD (the caller yields and never resumes). */
NTSTATUS PsTerminateThread(KMACHINE *m, KTHREAD *t, NTSTATUS exit_status);
/* The exit APC's built-in routines (T3, T4). KR returns true if it started
 * PspExitThread (user phase). */
bool ki_exit_kernel_routine(KMACHINE *m, KTHREAD *t, KAPC_CALL *call);
void ki_exit_normal_routine(KMACHINE *m, KTHREAD *t, KAPC_CALL *call);

/* attach.c (E1-E7) */
typedef struct KAPC_STATE_BUF {
    int32_t id;
    KAPC_STATE state;               /* the saved AS of a nested attach */
    bool marker;                    /* Buf.Process == 1: attach to the current process */
    bool used;                      /* attached with it, not yet detached */
    bool saved;                     /* state holds a saved AS (Process != NULL) */
    KTHREAD *thread;                /* who attached with it */
    int depth;                      /* its place in the thread's stack of attaches (1 = first) */
} KAPC_STATE_BUF;
void KeAttachProcess(KMACHINE *m, KPROCESS *p);
void KeDetachProcess(KMACHINE *m);
KAPC_STATE_BUF *KeStackAttachProcess(KMACHINE *m, KPROCESS *p);
void KeUnstackDetachProcess(KMACHINE *m, KAPC_STATE_BUF *buf);

/* io.c (IO1-IO3) */
KIRP *ke_irp_create(KMACHINE *m, const char *name, KTHREAD *t, KEVENT *event, bool has_completion,
                    KAPC_ENVIRONMENT env);
bool IoCompleteRequest(KMACHINE *m, KIRP *irp, int boost);
void ki_io_kernel_routine(KMACHINE *m, KTHREAD *t, KAPC_CALL *call);
/* KeSetEvent & co. with Wait = TRUE: keep the dispatcher lock (SYNCH_LEVEL)
 * for the wait that must follow at once (SignalObjectAndWait). */
void ki_wait_next_begin(KMACHINE *m);

/* syscall / user-mode transitions (usermode.c) */
void ke_syscall_enter(KMACHINE *m, const char *name);
void ke_syscall_exit(KMACHINE *m);   /* pushes FRAME_USER_EXIT; caller yields */

/* bugcheck.c */
#define BUGCODE_IRQL_NOT_LESS_OR_EQUAL          0x0000000A
#define BUGCODE_APC_INDEX_MISMATCH              0x00000001
#define BUGCODE_INVALID_PROCESS_ATTACH_ATTEMPT  0x00000005
#define BUGCODE_INVALID_PROCESS_DETACH_ATTEMPT  0x00000006
#define BUGCODE_KERNEL_APC_PENDING_DURING_EXIT  0x00000020
#define BUGCODE_IRQL_UNEXPECTED_VALUE           0x000000C8
#define BUGCODE_THREAD_TERMINATE_HELD_MUTEX     0x4000008A  /* mingw-w64 bugcodes.h, JEDI jwabugcodes.pas */
#define BUGCODE_ATTEMPTED_SWITCH_FROM_DPC       0x000000B8
#define BUGCODE_IRQL_GT_ZERO_AT_SYSTEM_SERVICE  0x0000004A
#define BUGCODE_MUTEX_ALREADY_OWNED             0x000000BF
/* Simulated bugcheck: records it, traces a BUGCHECK row and stops the run. */
void KeBugCheckEx(KMACHINE *m, uint32_t code, uint64_t p1, uint64_t p2, uint64_t p3, uint64_t p4);
const char *ke_bugcheck_name(uint32_t code);
int ke_bugcheck_code_from_name(const char *name, uint32_t *code);  /* 1 if known */
/* Print the bugcheck the way a kernel debugger's !analyze would. */
void ke_bugcheck_print(const KMACHINE *m, FILE *out);

/* ---- frame programs (one per kernel frame kind), stepped by cpu.c ------- */
typedef enum KSTEP {
    STEP_CONTINUE = 0,              /* look at the CPU again (frames changed, or go on) */
    STEP_SWITCHED,                  /* the current thread switched out; the CPU runs another */
    STEP_HALT,                      /* idle with nothing to do */
    STEP_YIELD,                     /* stop here for now: the CPU goes on at the same instant,
                                     * once nothing else is due then (EV_CPU_RESUME) */
} KSTEP;
KSTEP ki_run_code(KMACHINE *m, KPRCB *c, KTHREAD *t, KFRAME *f);          /* cpu.c */
void ki_interrupt_return(KMACHINE *m, KPRCB *c, KTHREAD *t, KFRAME *f);    /* cpu.c */
KSTEP ki_run_thread_start(KMACHINE *m, KPRCB *c, KTHREAD *t, KFRAME *f);  /* thread.c */
KSTEP ki_run_exit_thread(KMACHINE *m, KPRCB *c, KTHREAD *t, KFRAME *f);   /* thread.c */
KSTEP ki_run_idle(KMACHINE *m, KPRCB *c, KTHREAD *t, KFRAME *f);          /* dispatcher.c */
KSTEP ki_run_dispatch_int(KMACHINE *m, KPRCB *c, KTHREAD *t, KFRAME *f);  /* dpc.c */
KSTEP ki_run_apc_int(KMACHINE *m, KPRCB *c, KTHREAD *t, KFRAME *f);       /* apc.c */
KSTEP ki_run_deliver_apc(KMACHINE *m, KPRCB *c, KTHREAD *t, KFRAME *f);   /* apc.c */
KSTEP ki_run_check_apc(KMACHINE *m, KPRCB *c, KTHREAD *t, KFRAME *f);     /* apc.c */
void ki_count_apc(KMACHINE *m, const KAPC *apc, int fate);                 /* apc.c: KSTATS */
KSTEP ki_run_wait(KMACHINE *m, KPRCB *c, KTHREAD *t, KFRAME *f);          /* wait.c */
KSTEP ki_run_user_exit(KMACHINE *m, KPRCB *c, KTHREAD *t, KFRAME *f);     /* usermode.c */
KSTEP ki_run_user_apc(KMACHINE *m, KPRCB *c, KTHREAD *t, KFRAME *f);      /* usermode.c */
KSTEP ki_run_detach(KMACHINE *m, KPRCB *c, KTHREAD *t, KFRAME *f);        /* attach.c */

/* Engine event kinds. */
enum {
    EV_COMPUTE_DONE = 1,            /* a = cpu */
    EV_CPU_KICK,                    /* a = cpu */
    EV_TIMER,                       /* b = KTIMER id (object id) or -(thread id) for a wait timer */
    EV_DPC_AT,                      /* a = cpu, b = index in m->sched */
    EV_THREAD_START,                /* b = thread id */
    EV_TICK,
    EV_CPU_RESUME,                  /* a = cpu: go on after a STEP_YIELD */
};

/* invariants.c: NULL if every invariant holds, else what broke (g_free). */
char *ke_check_invariants(KMACHINE *m);
/* Check now if enabled; on a violation stop the run (StopInvariant) naming
 * the rows (rows_before, m->rows] of the step that broke it. */
void ke_maybe_check_invariants(KMACHINE *m, int64_t rows_before);

/* Helpers */
static inline KPRCB *ke_cpu_of(KMACHINE *m, KTHREAD *t) { return &m->cpu[t->cpu]; }
static inline bool ke_stopping(const KMACHINE *m) { return m->stop != StopNone; }

#endif /* APCSIM_KE_H */
