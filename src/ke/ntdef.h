/*
 * ntdef.h - NT constants the whole model shares: IRQLs, modes, thread states,
 * wait reasons, NTSTATUS values, object types, APC environments; and the
 * functions that give each value its NT name.
 *
 * Numbering follows Windows (KTHREAD_STATE, KWAIT_REASON as ETW's CSwitch
 * event reports them; NTSTATUS values from ntstatus.h) so traces can be read
 * next to real ones. Names are returned as static strings.
 */
#ifndef APCSIM_NTDEF_H
#define APCSIM_NTDEF_H

#include <stdint.h>

typedef int32_t NTSTATUS;
typedef uint8_t KIRQL;

/* IRQLs (x64 numbering of the named levels the scenario sees). */
#define PASSIVE_LEVEL  0
#define APC_LEVEL      1
#define DISPATCH_LEVEL 2
#define SYNCH_LEVEL    12
#define CLOCK_LEVEL    13
#define IPI_LEVEL      14
#define HIGH_LEVEL     31  /* the scenario's HIGH_LEVEL; any value > 2 masks everything here */

typedef enum KPROCESSOR_MODE { KernelMode = 0, UserMode = 1 } KPROCESSOR_MODE;

typedef enum KTHREAD_STATE {
    Initialized = 0, Ready = 1, Running = 2, Standby = 3, Terminated = 4,
    Waiting = 5, Transition = 6, DeferredReady = 7, GateWait = 8,
    KTHREAD_STATE__COUNT
} KTHREAD_STATE;

#define KWAIT_REASONS(X) \
    X(Executive) X(FreePage) X(PageIn) X(PoolAllocation) X(DelayExecution) \
    X(Suspended) X(UserRequest) X(WrExecutive) X(WrFreePage) X(WrPageIn) \
    X(WrPoolAllocation) X(WrDelayExecution) X(WrSuspended) X(WrUserRequest) \
    X(WrEventPair) X(WrQueue) X(WrLpcReceive) X(WrLpcReply) X(WrVirtualMemory) \
    X(WrPageOut) X(WrRendezvous) X(WrKeyedEvent) X(WrTerminated) X(WrProcessInSwap) \
    X(WrCpuRateControl) X(WrCalloutStack) X(WrKernel) X(WrResource) X(WrPushLock) \
    X(WrMutex) X(WrQuantumEnd) X(WrDispatchInt) X(WrPreempted) X(WrYieldExecution) \
    X(WrFastMutex) X(WrGuardedMutex) X(WrRundown) X(WrAlertByThreadId) X(WrDeferredPreempt)

typedef enum KWAIT_REASON {
#define KWR_ENUM_(n) n,
    KWAIT_REASONS(KWR_ENUM_)
#undef KWR_ENUM_
    KWAIT_REASON__COUNT
} KWAIT_REASON;

/* NTSTATUS values used by the model. */
#define STATUS_SUCCESS                 ((NTSTATUS)0x00000000)
#define STATUS_WAIT_0                  ((NTSTATUS)0x00000000)
#define STATUS_ABANDONED_WAIT_0        ((NTSTATUS)0x00000080)
#define STATUS_USER_APC                ((NTSTATUS)0x000000C0)
#define STATUS_KERNEL_APC              ((NTSTATUS)0x00000100)
#define STATUS_ALERTED                 ((NTSTATUS)0x00000101)
#define STATUS_TIMEOUT                 ((NTSTATUS)0x00000102)
#define STATUS_PENDING                 ((NTSTATUS)0x00000103)
#define STATUS_UNSUCCESSFUL            ((NTSTATUS)0xC0000001)
#define STATUS_NOT_IMPLEMENTED         ((NTSTATUS)0xC0000002)
#define STATUS_INVALID_PARAMETER       ((NTSTATUS)0xC000000D)
#define STATUS_ACCESS_DENIED           ((NTSTATUS)0xC0000022)
#define STATUS_MUTANT_NOT_OWNED        ((NTSTATUS)0xC0000046)
#define STATUS_SEMAPHORE_LIMIT_EXCEEDED ((NTSTATUS)0xC0000047)
#define STATUS_SUSPEND_COUNT_EXCEEDED  ((NTSTATUS)0xC000004A)
#define STATUS_THREAD_IS_TERMINATING   ((NTSTATUS)0xC000004B)
#define STATUS_NOT_SUPPORTED           ((NTSTATUS)0xC00000BB)
#define STATUS_MAXIMUM_WAIT_OBJECTS    64

/* Dispatcher object types (KOBJECTS numbering for the ones NT has). */
typedef enum KOBJECT_TYPE {
    EventNotificationObject = 0, EventSynchronizationObject = 1, MutantObject = 2,
    ProcessObject = 3, QueueObject = 4, SemaphoreObject = 5, ThreadObject = 6,
    TimerNotificationObject = 8, TimerSynchronizationObject = 9,
    KOBJECT_TYPE__MAX = 10
} KOBJECT_TYPE;

typedef enum KWAIT_TYPE { WaitAll = 0, WaitAny = 1, WaitDelay = 2 } KWAIT_TYPE;

typedef enum KAPC_ENVIRONMENT {
    OriginalApcEnvironment = 0, AttachedApcEnvironment = 1,
    CurrentApcEnvironment = 2, InsertApcEnvironment = 3
} KAPC_ENVIRONMENT;

typedef enum KAPC_KIND { ApcSpecialKernel = 0, ApcNormalKernel = 1, ApcUser = 2 } KAPC_KIND;

/* What a ROUTINE_BEGIN/END row ran. */
typedef enum KROUTINE_KIND {
    RtKernelRoutine = 0, RtNormalRoutine = 1, RtRundownRoutine = 2,
    RtDpc = 3, RtThreadBody = 4, RtUserApcNormal = 5, RtSyscall = 6
} KROUTINE_KIND;

/* Why an insertion was refused (APC_REFUSED rows). */
typedef enum KAPC_REFUSE { RefuseNotQueueable = 0, RefuseAlreadyInserted = 1, RefuseNotSupported = 2 } KAPC_REFUSE;

/* Queue position of an insertion. */
typedef enum KAPC_QPOS { QposTail = 0, QposHead = 1, QposAfterSpecials = 2 } KAPC_QPOS;

/* Why a priority changed. */
typedef enum KPRIO_REASON { PrioSet = 0, PrioUnwaitBoost = 1, PrioQuantumDecay = 2, PrioBaseSet = 3 } KPRIO_REASON;

/* Names. All return a static string; unknown values give "?" (or, for
 * statuses, a shared static "0x%08X" buffer is NOT used: unknown statuses
 * return NULL so callers can print the hex value themselves). */
const char *nt_irql_name(int irql);           /* "PASSIVE_LEVEL"...; NULL if unnamed */
const char *nt_mode_name(int mode);
const char *nt_state_name(int state);
const char *nt_wait_reason_name(int reason);
const char *nt_status_name(NTSTATUS status);  /* NULL if unknown */
const char *nt_object_type_name(int type);
const char *nt_wait_type_name(int type);
const char *nt_apc_kind_name(int kind);
const char *nt_env_name(int env);
const char *nt_routine_name(int rt);
const char *nt_refuse_name(int why);
const char *nt_qpos_name(int pos);
const char *nt_prio_reason_name(int why);

/* Reverse lookups for the scenario runtime. Return -1 if unknown. */
int nt_state_from_name(const char *name);
int nt_wait_reason_from_name(const char *name);
/* Returns 1 and sets *out if known, else 0. Accepts "STATUS_WAIT_n" and
 * "STATUS_ABANDONED_WAIT_n". */
int nt_status_from_name(const char *name, NTSTATUS *out);

#endif /* APCSIM_NTDEF_H */
