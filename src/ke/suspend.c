/*
 * suspend.c - thread suspension (S1-S6) and KeAlertResumeThread (AL3).
 *
 * Every thread owns a built-in SuspendApc (normal kernel APC, Original
 * environment; KR KiSuspendNop, RR KiSuspendRundown, NR KiSuspendThread)
 * and a SuspendSemaphore (count 0, limit 2), created the first time the
 * thread is suspended. The NR performs a KernelMode, non-alertable wait
 * (reason Suspended) on the semaphore, so a suspended thread sits inside a
 * normal routine with KernelApcInProgress set: special kernel APCs still
 * run (they wake it and it waits again), normal kernel APCs - the exit APC
 * included - wait for the resume, user APCs are not delivered (S6).
 */
#include "ke/ke.h"

static void ki_ensure_suspend_objects(KMACHINE *m, KTHREAD *t)
{
    if (t->suspend_apc)
        return;
    char *name = g_strdup_printf("%s.SuspendApc", t->header.name);
    t->suspend_apc = KeInitializeApc(m, t, OriginalApcEnvironment, KernelMode, true, true, name);
    t->suspend_apc->internal = ApcSuspend;
    g_free(name);
    name = g_strdup_printf("%s.SuspendSemaphore", t->header.name);
    t->suspend_semaphore = ke_semaphore_create(m, name, 0, 2);
    g_free(name);
}

static void ki_set_suspend_count(KMACHINE *m, KTHREAD *t, int v)
{
    ke_trace_field(m, t, FLD_SUSPEND_COUNT, t->suspend_count, v);
    t->suspend_count = (int8_t)v;
}

/* KeSuspendThread (S2): returns the previous count. At the maximum (127)
 * sets *status = STATUS_SUSPEND_COUNT_EXCEEDED and changes nothing. A
 * thread that no longer takes APCs (exiting) is not suspended (T6). */
int KeSuspendThread(KMACHINE *m, KTHREAD *t, NTSTATUS *status)
{
    int old = t->suspend_count;
    *status = STATUS_SUCCESS;
    if (old == KE_MAXIMUM_SUSPEND_COUNT) {
        *status = STATUS_SUSPEND_COUNT_EXCEEDED;
        return old;
    }
    if (!t->apc_queueable)
        return old;
    ki_ensure_suspend_objects(m, t);
    ki_set_suspend_count(m, t, old + 1);
    if (old == 0 && t->freeze_count == 0) {
        if (!t->suspend_apc->inserted) {
            ki_insert_queue_apc(m, t->suspend_apc, 0);      /* I3: internal, increment 0 */
        } else {
            /* resumed before the APC was delivered: take back that release */
            DISPATCHER_HEADER *h = &t->suspend_semaphore->header;
            ki_set_signal_state(m, h, h->signal_state - 1);
        }
    }
    return old;
}

static void ki_release_suspend_semaphore(KMACHINE *m, KTHREAD *t)
{
    DISPATCHER_HEADER *h = &t->suspend_semaphore->header;
    ki_set_signal_state(m, h, h->signal_state + 1);
    ki_signal_object(m, h, 0);
}

/* KeResumeThread (S3): returns the previous count. */
int KeResumeThread(KMACHINE *m, KTHREAD *t)
{
    int old = t->suspend_count;
    if (old == 0)
        return 0;
    ki_set_suspend_count(m, t, old - 1);
    if (t->suspend_count == 0 && t->freeze_count == 0)
        ki_release_suspend_semaphore(m, t);
    return old;
}

/* KeForceResumeThread (S4): returns Susp + Freeze; releases once. */
int KeForceResumeThread(KMACHINE *m, KTHREAD *t)
{
    int old = t->suspend_count + t->freeze_count;
    if (old == 0)
        return 0;
    ki_set_suspend_count(m, t, 0);
    ke_trace_field(m, t, FLD_FREEZE_COUNT, t->freeze_count, 0);
    t->freeze_count = 0;
    ki_release_suspend_semaphore(m, t);
    return old;
}

/* KeAlertResumeThread (AL3): a kernel-mode alert that ends any alertable
 * wait, then KeResumeThread. Returns the previous suspend count. */
int KeAlertResumeThread(KMACHINE *m, KTHREAD *t)
{
    if (!t->alerted[KernelMode]) {
        if (t->state == Waiting && t->alertable)
            ki_unwait_thread(m, t, STATUS_ALERTED, KE_ALERT_INCREMENT);
        else
            ki_set_alerted(m, t, KernelMode, true);
    }
    return KeResumeThread(m, t);
}

/* KiSuspendThread, the suspend APC's NR at PASSIVE_LEVEL (S1). */
void ki_suspend_normal_routine(KMACHINE *m, KTHREAD *t)
{
    ke_trace(m, TR_ROUTINE_BEGIN, t->cpu, t->id, t->suspend_apc->id, RtNormalRoutine, m->cpu[t->cpu].irql,
             KernelMode, 0, 0, NULL);
    DISPATCHER_HEADER *objs[1] = { &t->suspend_semaphore->header };
    KWAIT_ARGS a = { .objects = objs, .count = 1, .wait_type = WaitAny, .mode = KernelMode,
                     .alertable = false, .timeout = -1, .reason = Suspended };
    ke_wait_begin(m, &a);
}
