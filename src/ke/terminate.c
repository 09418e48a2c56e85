/*
 * terminate.c - thread termination by another thread (T2-T6); the
 * self-termination path and PspExitThread itself are in thread.c (T1, T5).
 *
 * A cross-thread termination is a normal kernel APC (T2): deferred by
 * critical and guarded regions, APC_LEVEL and a normal routine in progress
 * (a suspended thread is force-resumed so it can run it). Its NR, at
 * PASSIVE_LEVEL, turns the same KAPC into a user APC at the head of the user
 * list with UserApcPending set (T3, I5); whatever the thread does next in
 * kernel mode continues (user-mode waits return STATUS_USER_APC), and the
 * next return to user mode delivers it first: its KR calls PspExitThread,
 * so the user APCs queued before are never run (T4).
 */
#include "ke/ke.h"

NTSTATUS PsTerminateThread(KMACHINE *m, KTHREAD *t, NTSTATUS exit_status)
{
    if (t == m->running && !m->running_cpu->dpc_active) {
        /* T1: self-termination, no APC; PspExitThread never returns. (A DPC
         * that terminates the thread it interrupted is not that thread
         * terminating itself: it takes the exit-APC path of T2.) */
        t->terminating = true;
        t->exit_status = exit_status;
        ke_push_frame(m, t, FRAME_EXIT_THREAD);
        return STATUS_SUCCESS;
    }
    if (t->system)
        return STATUS_ACCESS_DENIED;        /* T2: system threads end themselves (tested first) */
    if (t->terminating || t->state == Terminated)
        return STATUS_SUCCESS;              /* T2: Terminated flag already set, no second exit APC */
    t->terminating = true;
    char *name = g_strdup_printf("%s.ExitApc", t->header.name);
    KAPC *apc = KeInitializeApc(m, t, OriginalApcEnvironment, KernelMode, true, true, name);
    g_free(name);
    apc->internal = ApcExit;
    apc->normal_context = exit_status;
    apc->system_argument2 = 0;              /* kernel-phase marker */
    if (!KeInsertQueueApc(m, apc, KE_TERMINATE_INCREMENT))
        return STATUS_UNSUCCESSFUL;
    KeForceResumeThread(m, t);              /* so a suspended thread can run it */
    return STATUS_SUCCESS;
}

/* PsExitSpecialApc: nothing in the kernel phase; in the user phase it frees
 * the KAPC and calls PspExitThread, which never returns (T4). */
bool ki_exit_kernel_routine(KMACHINE *m, KTHREAD *t, KAPC_CALL *call)
{
    if (call->system_argument2 == 0)
        return false;
    call->apc->freed = true;
    call->normal_routine = false;
    t->exit_status = (NTSTATUS)call->normal_context;
    ke_push_frame(m, t, FRAME_EXIT_THREAD);
    return true;
}

/* PspExitNormalApc at PASSIVE (T3): re-queue the same KAPC as a user APC at
 * the head of the user list, UserApcPending set (I5). */
void ki_exit_normal_routine(KMACHINE *m, KTHREAD *t, KAPC_CALL *call)
{
    KAPC *apc = call->apc;
    int cpu = t->cpu;
    ke_trace(m, TR_ROUTINE_BEGIN, cpu, t->id, apc->id, RtNormalRoutine, m->cpu[cpu].irql, KernelMode, 0, 0, NULL);
    apc->apc_mode = UserMode;
    apc->has_normal_routine = true;
    apc->environment = OriginalApcEnvironment;
    apc->system_argument2 = 1;              /* user-phase marker */
    ke_trace(m, TR_APC_INIT, cpu, t->id, apc->id, ApcUser, apc->environment, UserMode, t->id, 0, NULL);
    ki_insert_queue_apc(m, apc, KE_TERMINATE_INCREMENT);
    ki_set_uap(m, t, &t->apc_state, true);
    ke_trace(m, TR_ROUTINE_END, cpu, t->id, apc->id, RtNormalRoutine, m->cpu[cpu].irql, 0, 0, 0, NULL);
}
