/*
 * io.c - the I/O completion path as APCs see it (IO1-IO3).
 *
 * An IRP carries one KAPC. IoCompleteRequest inserts it as a special kernel
 * APC (KR IopCompleteRequest) into the requesting thread, in the environment
 * recorded in the IRP, with the driver's priority boost (IO1). The KR runs
 * at APC_LEVEL in the requester (IO2): it sets the user event, and if a user
 * completion routine was supplied (ReadFileEx) it re-initializes the same
 * KAPC as a user APC (Current environment, NR = the completion routine) and
 * inserts it with increment 2 - a self-insertion, so by I7 UserApcPending is
 * not set and the routine waits for an alertable wait or NtTestAlert (IO3).
 * The completion APC takes the IRP's requestor mode (IO2): a system thread's
 * request completes as a normal kernel APC, run at PASSIVE without a wait.
 * Completion ports and buffered copies are not modelled.
 */
#include "ke/ke.h"

/* Create an IRP owned by t (IRQL any; the scenario's irp{}). The embedded
 * APC is initialized at completion time, not here. */
KIRP *ke_irp_create(KMACHINE *m, const char *name, KTHREAD *t, KEVENT *event, bool has_completion,
                    KAPC_ENVIRONMENT env)
{
    KIRP *irp = g_new0(KIRP, 1);
    irp->id = (int32_t)m->irps->len + 1;
    irp->name = g_strdup(name);
    irp->thread = t;
    irp->event = event;
    irp->has_completion = has_completion;
    irp->environment = (uint8_t)(env == CurrentApcEnvironment ? t->apc_state_index : env);
    irp->requestor_mode = t->system ? KernelMode : UserMode;       /* IO2; see KIRP */
    irp->pending = true;
    g_ptr_array_add(m->irps, irp);
    char *apc_name = g_strdup_printf("%s.Tail.Apc", name);
    irp->apc = KeInitializeApc(m, t, (KAPC_ENVIRONMENT)irp->environment, KernelMode, false, false, apc_name);
    g_free(apc_name);
    irp->apc->internal = ApcIoCompletion;
    irp->apc->owner = irp;
    return irp;
}

/* IoCompleteRequest (IO1): IRQL <= DISPATCH_LEVEL. Returns FALSE if the IRP
 * was completed already or the requester no longer takes APCs (then the
 * IRP is simply dropped, as for a thread that is exiting). */
bool IoCompleteRequest(KMACHINE *m, KIRP *irp, int boost)
{
    if (!irp->pending)
        return false;
    irp->pending = false;
    irp->boost = boost;
    return KeInsertQueueApc(m, irp->apc, boost);
}

/* IopCompleteRequest (IO2), the KR of the IRP's APC, at APC_LEVEL in the
 * requester. Phase 1 (special kernel APC): set the event, then queue the
 * completion routine as a user APC; phase 2 (the user APC's KR): frees the
 * IRP - nothing to do here. */
void ki_io_kernel_routine(KMACHINE *m, KTHREAD *t, KAPC_CALL *call)
{
    KAPC *apc = call->apc;
    KIRP *irp = apc->owner;
    if (call->system_argument2 != 0)
        return;                             /* phase 2: the IRP is freed */
    if (irp->event)
        KeSetEvent(m, irp->event, 0);
    if (!irp->has_completion)
        return;
    /* Re-initialize the same KAPC with the completion routine as its NR, in
     * the requestor mode (A6 cleared Inserted): a user APC for a user
     * thread's request, a normal kernel APC for a system thread's (IO2). */
    KPROCESSOR_MODE mode = irp->requestor_mode;
    apc->apc_mode = (uint8_t)mode;
    apc->has_normal_routine = true;
    apc->environment = t->apc_state_index;  /* CurrentApcEnvironment, resolved now (A4) */
    apc->system_argument2 = 1;
    ke_trace(m, TR_APC_INIT, t->cpu, t->id, apc->id, mode == UserMode ? ApcUser : ApcNormalKernel, apc->environment,
             mode, t->id, 0, NULL);
    ki_insert_queue_apc(m, apc, KE_IO_USER_APC_INCREMENT);
}

/* KeSetEvent(..., Wait = TRUE) and friends: return at SYNCH_LEVEL with the
 * dispatcher lock held for the wait that follows. */
void ki_wait_next_begin(KMACHINE *m)
{
    KTHREAD *t = m->running;
    KPRCB *c = m->running_cpu;
    t->wait_next = true;
    t->wait_next_irql = c->irql;
    ki_set_irql(m, c, SYNCH_LEVEL);
}
