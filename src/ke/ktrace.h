/*
 * ktrace.h - the kernel model's trace sink: every state transition is one call.
 *
 * The kernel owns this interface; the SQLite store (src/trace/) implements it
 * for real runs and the unit tests implement it with an in-memory fake. The
 * kernel never includes sqlite3.h.
 *
 * A transition is one KTRACE_RECORD: a kind, the CPU and thread it happened
 * on, one object id, five integers and an optional text. What the integers
 * mean is fixed per kind by the table KTRACE_KINDS below, which is also the
 * source of the trace's lookup table, of the `detail` column of v_event and of
 * the canonical `apcsim dump` text (so the three never disagree).
 *
 * Rules for adding a kind: append only (ids are stored in trace files and
 * the schema version must change if an existing id changes meaning); every
 * field that replay needs to rebuild state must be in the row (old and new
 * value where a value changes).
 */
#ifndef APCSIM_KTRACE_H
#define APCSIM_KTRACE_H

#include <stdint.h>

/* Field types: how a field is shown in v_event.detail and in `apcsim dump`.
 * FT_NONE fields are not shown (and must be 0). */
typedef enum KTRACE_FIELD_TYPE {
    FT_NONE = 0,
    FT_INT,         /* plain integer */
    FT_TIME,        /* nanoseconds; -1 = infinite */
    FT_BOOL,        /* 0/1 -> FALSE/TRUE */
    FT_IRQL,        /* 0 PASSIVE_LEVEL, 1 APC_LEVEL, 2 DISPATCH_LEVEL, ... */
    FT_STATE,       /* KTHREAD_STATE (Windows numbering) */
    FT_WAITREASON,  /* KWAIT_REASON (Windows numbering) */
    FT_MODE,        /* KPROCESSOR_MODE: 0 KernelMode, 1 UserMode */
    FT_STATUS,      /* NTSTATUS -> STATUS_* name */
    FT_THREAD,      /* thread id -> thread name; -1 = none */
    FT_OBJECT,      /* object id -> object name */
    FT_PROCESS,     /* process id -> process name */
    FT_APC,         /* apc id -> apc name */
    FT_CPU,         /* cpu number */
    FT_OBJTYPE,     /* KOBJECTS type */
    FT_WAITTYPE,    /* WaitAll 0 / WaitAny 1 / Delay 2 */
    FT_SWINT,       /* software interrupt level: APC_LEVEL / DISPATCH_LEVEL */
    FT_FIELD,       /* KTHREAD_FIELD id (see below) */
    FT_APCKIND,     /* 0 special kernel, 1 normal kernel, 2 user */
    FT_ENV,         /* KAPC_ENVIRONMENT */
    FT_ROUTINE,     /* routine kind: KernelRoutine, NormalRoutine, ... */
    FT_REFUSE,      /* why an insertion was refused */
    FT_QPOS,        /* queue position: head / tail / after-specials */
    FT_PRIOREASON,  /* why a priority changed */
    FT_BUGCODE,     /* bugcheck code (hex) */
    FT_HEX,         /* integer shown in hex */
} KTRACE_FIELD_TYPE;

/*
 * X(ID, "NAME", "format", obj-type, a-type, a-label, b-type, b-label, c..., d..., e...)
 *
 * The row's `obj` column is shown with obj-type; fields a..e with their type
 * and label ("label=value" in the detail; an empty label shows the bare
 * value). `text` is always shown last when non-NULL.
 */
#define KTRACE_KINDS(X) \
    X(TR_RUN_BEGIN,      "RUN_BEGIN",      FT_NONE,    FT_INT, "cpus", FT_INT, "seed", FT_TIME, "clock_tick", FT_INT, "quantum", FT_TIME, "switch_cost") \
    X(TR_RUN_END,        "RUN_END",        FT_NONE,    FT_INT, "reason", FT_INT, "events", FT_NONE, "", FT_NONE, "", FT_NONE, "") \
    X(TR_PROCESS_CREATE, "PROCESS_CREATE", FT_PROCESS, FT_NONE, "", FT_NONE, "", FT_NONE, "", FT_NONE, "", FT_NONE, "") \
    X(TR_THREAD_CREATE,  "THREAD_CREATE",  FT_OBJECT,  FT_PROCESS, "process", FT_INT, "priority", FT_HEX, "affinity", FT_BOOL, "system", FT_INT, "idle_cpu") \
    X(TR_OBJECT_CREATE,  "OBJECT_CREATE",  FT_OBJECT,  FT_OBJTYPE, "type", FT_INT, "signal", FT_INT, "limit", FT_INT, "subtype", FT_NONE, "") \
    X(TR_THREAD_STATE,   "THREAD_STATE",   FT_NONE,    FT_STATE, "from", FT_STATE, "to", FT_WAITREASON, "reason", FT_INT, "exit", FT_INT, "queue_pos") \
    X(TR_CONTEXT_SWITCH, "CONTEXT_SWITCH", FT_NONE,    FT_THREAD, "from", FT_THREAD, "to", FT_IRQL, "from_irql", FT_NONE, "", FT_NONE, "") \
    X(TR_IRQL,           "IRQL",           FT_NONE,    FT_IRQL, "from", FT_IRQL, "to", FT_NONE, "", FT_NONE, "", FT_NONE, "") \
    X(TR_SWINT_REQUEST,  "SWINT_REQUEST",  FT_NONE,    FT_SWINT, "level", FT_CPU, "from_cpu", FT_NONE, "", FT_NONE, "", FT_NONE, "") \
    X(TR_SWINT_DISPATCH, "SWINT_DISPATCH", FT_NONE,    FT_SWINT, "level", FT_IRQL, "interrupted_irql", FT_MODE, "interrupted_mode", FT_NONE, "", FT_NONE, "") \
    X(TR_DPC_QUEUE,      "DPC_QUEUE",      FT_APC,     FT_CPU, "target", FT_INT, "depth", FT_NONE, "", FT_NONE, "", FT_NONE, "") \
    X(TR_DPC_BEGIN,      "DPC_BEGIN",      FT_APC,     FT_INT, "depth", FT_NONE, "", FT_NONE, "", FT_NONE, "", FT_NONE, "") \
    X(TR_DPC_END,        "DPC_END",        FT_APC,     FT_NONE, "", FT_NONE, "", FT_NONE, "", FT_NONE, "", FT_NONE, "") \
    X(TR_WAIT_BEGIN,     "WAIT_BEGIN",     FT_OBJECT,  FT_WAITTYPE, "type", FT_MODE, "mode", FT_BOOL, "alertable", FT_TIME, "timeout", FT_INT, "count") \
    X(TR_WAIT_END,       "WAIT_END",       FT_NONE,    FT_STATUS, "status", FT_NONE, "", FT_NONE, "", FT_NONE, "", FT_NONE, "") \
    X(TR_UNWAIT,         "UNWAIT",         FT_OBJECT,  FT_STATUS, "status", FT_INT, "increment", FT_NONE, "", FT_NONE, "", FT_NONE, "") \
    X(TR_SIGNAL,         "SIGNAL",         FT_OBJECT,  FT_INT, "from", FT_INT, "to", FT_NONE, "", FT_NONE, "", FT_NONE, "") \
    X(TR_MUTANT_OWNER,   "MUTANT_OWNER",   FT_OBJECT,  FT_THREAD, "owner", FT_INT, "recursion", FT_BOOL, "abandoned", FT_NONE, "", FT_NONE, "") \
    X(TR_TIMER_SET,      "TIMER_SET",      FT_OBJECT,  FT_TIME, "due", FT_TIME, "period", FT_NONE, "", FT_NONE, "", FT_NONE, "") \
    X(TR_TIMER_CANCEL,   "TIMER_CANCEL",   FT_OBJECT,  FT_NONE, "", FT_NONE, "", FT_NONE, "", FT_NONE, "", FT_NONE, "") \
    X(TR_TIMER_EXPIRE,   "TIMER_EXPIRE",   FT_OBJECT,  FT_NONE, "", FT_NONE, "", FT_NONE, "", FT_NONE, "", FT_NONE, "") \
    X(TR_FIELD,          "FIELD",          FT_NONE,    FT_FIELD, "", FT_INT, "from", FT_INT, "to", FT_NONE, "", FT_NONE, "") \
    X(TR_PRIORITY,       "PRIORITY",       FT_NONE,    FT_INT, "from", FT_INT, "to", FT_PRIOREASON, "reason", FT_INT, "prio_dec", FT_NONE, "") \
    X(TR_QUANTUM_END,    "QUANTUM_END",    FT_NONE,    FT_INT, "priority", FT_NONE, "", FT_NONE, "", FT_NONE, "", FT_NONE, "") \
    X(TR_MODE,           "MODE",           FT_NONE,    FT_MODE, "from", FT_MODE, "to", FT_NONE, "", FT_NONE, "", FT_NONE, "") \
    X(TR_SYSCALL_ENTER,  "SYSCALL_ENTER",  FT_NONE,    FT_NONE, "", FT_NONE, "", FT_NONE, "", FT_NONE, "", FT_NONE, "") \
    X(TR_SYSCALL_EXIT,   "SYSCALL_EXIT",   FT_NONE,    FT_NONE, "", FT_NONE, "", FT_NONE, "", FT_NONE, "", FT_NONE, "") \
    X(TR_ROUTINE_BEGIN,  "ROUTINE_BEGIN",  FT_APC,     FT_ROUTINE, "routine", FT_IRQL, "irql", FT_MODE, "mode", FT_NONE, "", FT_NONE, "") \
    X(TR_ROUTINE_END,    "ROUTINE_END",    FT_APC,     FT_ROUTINE, "routine", FT_IRQL, "irql", FT_NONE, "", FT_NONE, "", FT_NONE, "") \
    X(TR_THREAD_EXIT,    "THREAD_EXIT",    FT_NONE,    FT_INT, "exit_status", FT_NONE, "", FT_NONE, "", FT_NONE, "", FT_NONE, "") \
    X(TR_MARK,           "MARK",           FT_NONE,    FT_IRQL, "irql", FT_MODE, "mode", FT_NONE, "", FT_NONE, "", FT_NONE, "") \
    X(TR_EXPECT_FAIL,    "EXPECT_FAIL",    FT_NONE,    FT_NONE, "", FT_NONE, "", FT_NONE, "", FT_NONE, "", FT_NONE, "") \
    X(TR_BUGCHECK,       "BUGCHECK",       FT_BUGCODE, FT_HEX, "p1", FT_HEX, "p2", FT_HEX, "p3", FT_HEX, "p4", FT_NONE, "") \
    X(TR_APC_INIT,       "APC_INIT",       FT_APC,     FT_APCKIND, "kind", FT_ENV, "env", FT_MODE, "mode", FT_THREAD, "target", FT_NONE, "") \
    X(TR_APC_INSERT,     "APC_INSERT",     FT_APC,     FT_INT, "state", FT_MODE, "list", FT_QPOS, "pos", FT_INT, "increment", FT_ENV, "env") \
    X(TR_APC_REFUSED,    "APC_REFUSED",    FT_APC,     FT_REFUSE, "why", FT_NONE, "", FT_NONE, "", FT_NONE, "", FT_NONE, "") \
    X(TR_APC_DEQUEUE,    "APC_DEQUEUE",    FT_APC,     FT_INT, "state", FT_MODE, "list", FT_INT, "why", FT_NONE, "", FT_NONE, "") \
    X(TR_APC_STATE_MOVE, "APC_STATE_MOVE", FT_NONE,    FT_INT, "op", FT_PROCESS, "process", FT_INT, "index", FT_INT, "buffer", FT_NONE, "")

typedef enum KTRACE_KIND {
#define KTRACE_ENUM_(id, name, ot, at, al, bt, bl, ct, cl, dt, dl, et, el) id,
    KTRACE_KINDS(KTRACE_ENUM_)
#undef KTRACE_ENUM_
    TR__COUNT
} KTRACE_KIND;

/* Thread fields changed through TR_FIELD rows (one generic row for every
 * scalar KTHREAD field that is not a state, priority or mode). */
#define KTHREAD_FIELDS(X) \
    X(FLD_KERNEL_APC_DISABLE,  "KernelApcDisable") \
    X(FLD_SPECIAL_APC_DISABLE, "SpecialApcDisable") \
    X(FLD_KERNEL_APC_PENDING,  "KernelApcPending") \
    X(FLD_USER_APC_PENDING,    "UserApcPending") \
    X(FLD_KERNEL_APC_IN_PROGRESS, "KernelApcInProgress") \
    X(FLD_ALERTED_KERNEL,      "Alerted[KernelMode]") \
    X(FLD_ALERTED_USER,        "Alerted[UserMode]") \
    X(FLD_APC_STATE_INDEX,     "ApcStateIndex") \
    X(FLD_APC_QUEUEABLE,       "ApcQueueable") \
    X(FLD_SUSPEND_COUNT,       "SuspendCount") \
    X(FLD_QUANTUM,             "Quantum") \
    X(FLD_SAVED_KAP,           "SavedApcState.KernelApcPending") \
    X(FLD_SAVED_UAP,           "SavedApcState.UserApcPending") \
    X(FLD_SAVED_KAIP,          "SavedApcState.KernelApcInProgress") \
    X(FLD_BASE_PRIORITY,       "BasePriority") \
    X(FLD_FREEZE_COUNT,        "FreezeCount") \
    X(FLD_SPECIAL_USER_APC_PENDING, "SpecialUserApcPending") \
    X(FLD_SPECIAL_APC_IN_PROGRESS, "SpecialApcInProgress") \
    X(FLD_BUFFER_KAP,          "StackAttachBuffer.KernelApcPending") \
    X(FLD_BUFFER_UAP,          "StackAttachBuffer.UserApcPending")

typedef enum KTHREAD_FIELD {
#define KTHREAD_FIELD_ENUM_(id, name) id,
    KTHREAD_FIELDS(KTHREAD_FIELD_ENUM_)
#undef KTHREAD_FIELD_ENUM_
    FLD__COUNT
} KTHREAD_FIELD;

/* One transition. cpu/thread/obj are -1 when they do not apply. */
typedef struct KTRACE_RECORD {
    int64_t t;                  /* virtual time, ns */
    int32_t kind;               /* KTRACE_KIND */
    int32_t cpu;
    int32_t thread;
    int32_t obj;
    int64_t a, b, c, d, e;
    const char *text;           /* borrowed for the duration of the call; may be NULL */
} KTRACE_RECORD;

/* The sink. `emit` must copy what it keeps. `names` are registered as they
 * are created (thread/object/process/apc ids are unique per kind of name and
 * never reused within a run). */
typedef struct KTRACE_SINK {
    void *ctx;
    void (*emit)(void *ctx, const KTRACE_RECORD *rec);
    /* name registration: what = "thread", "object", "process", "apc" (APC and DPC
     * objects share the "apc" id space: both own routines) */
    void (*name)(void *ctx, const char *what, int32_t id, const char *name);
} KTRACE_SINK;

/* Static description of a kind, for formatters (dump, v_event, replay). */
typedef struct KTRACE_KIND_INFO {
    const char *name;
    KTRACE_FIELD_TYPE obj_type;
    KTRACE_FIELD_TYPE type[5];
    const char *label[5];
} KTRACE_KIND_INFO;

/* Table indexed by KTRACE_KIND (defined in src/ke/ktrace.c). */
extern const KTRACE_KIND_INFO ktrace_kind_info[TR__COUNT];
/* Names of KTHREAD_FIELD values, indexed by the enum. */
extern const char *const ktrace_field_names[FLD__COUNT];

#endif /* APCSIM_KTRACE_H */
