/*
 * ntdef.c - NT names for the model's constants (see ntdef.h).
 */
#include "ke/ntdef.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define NAME_AT(tbl, i) (((i) >= 0 && (i) < ARRAY_LEN(tbl) && (tbl)[i]) ? (tbl)[i] : "?")

const char *nt_irql_name(int irql)
{
    switch (irql) {
    case PASSIVE_LEVEL: return "PASSIVE_LEVEL";
    case APC_LEVEL: return "APC_LEVEL";
    case DISPATCH_LEVEL: return "DISPATCH_LEVEL";
    case SYNCH_LEVEL: return "SYNCH_LEVEL";
    case CLOCK_LEVEL: return "CLOCK_LEVEL";
    case IPI_LEVEL: return "IPI_LEVEL";
    case HIGH_LEVEL: return "HIGH_LEVEL";
    default: return NULL;
    }
}

const char *nt_mode_name(int mode)
{
    return mode == KernelMode ? "KernelMode" : mode == UserMode ? "UserMode" : "?";
}

static const char *const state_names[] = {
    "Initialized", "Ready", "Running", "Standby", "Terminated",
    "Waiting", "Transition", "DeferredReady", "GateWait",
};

const char *nt_state_name(int state) { return NAME_AT(state_names, state); }

static const char *const wait_reason_names[] = {
#define KWR_NAME_(n) #n,
    KWAIT_REASONS(KWR_NAME_)
#undef KWR_NAME_
};

const char *nt_wait_reason_name(int reason) { return NAME_AT(wait_reason_names, reason); }

static const struct { NTSTATUS v; const char *n; } status_names[] = {
    { STATUS_SUCCESS, "STATUS_SUCCESS" },
    { STATUS_ABANDONED_WAIT_0, "STATUS_ABANDONED_WAIT_0" },
    { STATUS_USER_APC, "STATUS_USER_APC" },
    { STATUS_KERNEL_APC, "STATUS_KERNEL_APC" },
    { STATUS_ALERTED, "STATUS_ALERTED" },
    { STATUS_TIMEOUT, "STATUS_TIMEOUT" },
    { STATUS_PENDING, "STATUS_PENDING" },
    { STATUS_UNSUCCESSFUL, "STATUS_UNSUCCESSFUL" },
    { STATUS_NOT_IMPLEMENTED, "STATUS_NOT_IMPLEMENTED" },
    { STATUS_INVALID_PARAMETER, "STATUS_INVALID_PARAMETER" },
    { STATUS_ACCESS_DENIED, "STATUS_ACCESS_DENIED" },
    { STATUS_MUTANT_NOT_OWNED, "STATUS_MUTANT_NOT_OWNED" },
    { STATUS_SEMAPHORE_LIMIT_EXCEEDED, "STATUS_SEMAPHORE_LIMIT_EXCEEDED" },
    { STATUS_SUSPEND_COUNT_EXCEEDED, "STATUS_SUSPEND_COUNT_EXCEEDED" },
    { STATUS_THREAD_IS_TERMINATING, "STATUS_THREAD_IS_TERMINATING" },
    { STATUS_NOT_SUPPORTED, "STATUS_NOT_SUPPORTED" },
};

/* STATUS_WAIT_1..63 and STATUS_ABANDONED_WAIT_1..63 have computed names. */
static char wait_n_names[2][STATUS_MAXIMUM_WAIT_OBJECTS][32];

const char *nt_status_name(NTSTATUS status)
{
    for (int i = 0; i < ARRAY_LEN(status_names); i++)
        if (status_names[i].v == status)
            return status_names[i].n;
    if (status > 0 && status < STATUS_MAXIMUM_WAIT_OBJECTS) {
        char *b = wait_n_names[0][status];
        if (!b[0])
            snprintf(b, sizeof wait_n_names[0][0], "STATUS_WAIT_%d", (int)status);
        return b;
    }
    if (status > STATUS_ABANDONED_WAIT_0 && status < STATUS_ABANDONED_WAIT_0 + STATUS_MAXIMUM_WAIT_OBJECTS) {
        char *b = wait_n_names[1][status - STATUS_ABANDONED_WAIT_0];
        if (!b[0])
            snprintf(b, sizeof wait_n_names[1][0], "STATUS_ABANDONED_WAIT_%d", (int)(status - STATUS_ABANDONED_WAIT_0));
        return b;
    }
    return NULL;
}

int nt_status_from_name(const char *name, NTSTATUS *out)
{
    if (!name)
        return 0;
    if (strcmp(name, "STATUS_WAIT_0") == 0) { *out = STATUS_WAIT_0; return 1; }
    for (int i = 0; i < ARRAY_LEN(status_names); i++)
        if (strcmp(status_names[i].n, name) == 0) { *out = status_names[i].v; return 1; }
    int n;
    char tail;
    if (sscanf(name, "STATUS_WAIT_%d%c", &n, &tail) == 1 && n >= 0 && n < STATUS_MAXIMUM_WAIT_OBJECTS) {
        *out = n; return 1;
    }
    if (sscanf(name, "STATUS_ABANDONED_WAIT_%d%c", &n, &tail) == 1 && n >= 0 && n < STATUS_MAXIMUM_WAIT_OBJECTS) {
        *out = STATUS_ABANDONED_WAIT_0 + n; return 1;
    }
    return 0;
}

const char *nt_object_type_name(int type)
{
    switch (type) {
    case EventNotificationObject: return "NotificationEvent";
    case EventSynchronizationObject: return "SynchronizationEvent";
    case MutantObject: return "Mutant";
    case ProcessObject: return "Process";
    case QueueObject: return "Queue";
    case SemaphoreObject: return "Semaphore";
    case ThreadObject: return "Thread";
    case TimerNotificationObject: return "NotificationTimer";
    case TimerSynchronizationObject: return "SynchronizationTimer";
    default: return "?";
    }
}

const char *nt_wait_type_name(int type)
{
    return type == WaitAll ? "WaitAll" : type == WaitAny ? "WaitAny" : type == WaitDelay ? "Delay" : "?";
}

static const char *const apc_kind_names[] = { "SpecialKernel", "NormalKernel", "User" };
const char *nt_apc_kind_name(int kind) { return NAME_AT(apc_kind_names, kind); }

static const char *const env_names[] = {
    "OriginalApcEnvironment", "AttachedApcEnvironment", "CurrentApcEnvironment", "InsertApcEnvironment",
};
const char *nt_env_name(int env) { return NAME_AT(env_names, env); }

static const char *const routine_names[] = {
    "KernelRoutine", "NormalRoutine", "RundownRoutine", "Dpc", "ThreadBody", "UserApcNormalRoutine", "Syscall",
};
const char *nt_routine_name(int rt) { return NAME_AT(routine_names, rt); }

static const char *const refuse_names[] = { "NotQueueable", "AlreadyInserted", "NotSupported" };
const char *nt_refuse_name(int why) { return NAME_AT(refuse_names, why); }

static const char *const qpos_names[] = { "tail", "head", "after-specials" };
const char *nt_qpos_name(int pos) { return NAME_AT(qpos_names, pos); }

static const char *const prio_reason_names[] = { "set", "unwait-boost", "quantum-decay", "base-set" };
const char *nt_prio_reason_name(int why) { return NAME_AT(prio_reason_names, why); }

int nt_state_from_name(const char *name)
{
    for (int i = 0; i < ARRAY_LEN(state_names); i++)
        if (strcmp(state_names[i], name) == 0)
            return i;
    return -1;
}

int nt_wait_reason_from_name(const char *name)
{
    for (int i = 0; i < ARRAY_LEN(wait_reason_names); i++)
        if (strcmp(wait_reason_names[i], name) == 0)
            return i;
    return -1;
}
