/*
 * why.c - why a queued APC has not run yet (see why.h).
 *
 * Design: one function reads the snapshot the way KiDeliverApc and its
 * callers would (SEMANTICS.md 1.C-1.G, 1.I, 1.L) and names the first
 * condition that keeps this APC in its queue, in the order the kernel tests
 * them: the environment (I6, E4), the thread's life, the guarded region (D2),
 * for normal kernel APCs the critical region and the in-progress bits (D3),
 * then where the thread is (running at an IRQL, waiting, ready). User APCs
 * need an alertable user-mode wait, NtTestAlert or a pending UserApcPending
 * (W2, AL5, D4-D6). It explains a state; it decides nothing in the
 * simulation, so a gap here can mislead a reader but never changes a run.
 * Rejected: keeping a "blocked by" field in the kernel model (the kernel
 * does not know why nothing happened, only what happens).
 */
#include "trace/why.h"

#include "ke/ke.h"

static const char *state_text(uint8_t st)
{
    return nt_state_name((KTHREAD_STATE)st);
}

static void append_irql(GString *out, int irql)
{
    ke_snapshot_append_irql(out, irql);
}

/* The thread is where it is: what happens to a kernel APC that nothing
 * else holds back (the region and in-progress tests passed). */
static void kernel_by_place(GString *out, const KSNAP *s, const KSNAP_THREAD *k, guint index,
                            const WhyContext *ctx)
{
    switch (k->state) {
    case Running: {
        int irql = k->cpu >= 0 && k->cpu < s->ncpus ? s->cpu[k->cpu].irql : PASSIVE_LEVEL;
        if (ctx->in_kernel_routine && ctx->running_known && ctx->running_user) {
            /* D4's user phase: the kernel loop is over; the insertion
             * requested an APC interrupt (I8 Running), serviced once the
             * IRQL drops (R1) */
            g_string_append(out, "a user APC's KernelRoutine is running at APC_LEVEL (the user phase of "
                                 "KiDeliverApc, D4): the APC interrupt requested at the insertion delivers this "
                                 "APC once the IRQL drops below APC_LEVEL after it (I8, R1)");
        } else if (ctx->in_kernel_routine) {
            if (ctx->running_known && !ctx->running_special)
                g_string_append(out, "a normal kernel APC's KernelRoutine is running at APC_LEVEL: its "
                                     "NormalRoutine runs next, then KiDeliverApc's loop takes the head of this list");
            else
                g_string_append(out, ctx->running_known ? "a special kernel APC's KernelRoutine is running at "
                                                          "APC_LEVEL: after it returns, KiDeliverApc's loop takes the "
                                                          "head of this list"
                                                        : "an APC's KernelRoutine is running on this thread at "
                                                          "APC_LEVEL: after it returns, KiDeliverApc's loop takes the "
                                                          "head of this list");
            if (index == 0)
                g_string_append(out, ", which is this APC (D3, R3)");
            else
                g_string_append_printf(out, "; %u APC%s ahead of this one come%s first (D3, R3)", index,
                                       index > 1 ? "s" : "", index > 1 ? "" : "s");
        } else if (irql >= APC_LEVEL) {
            g_string_append_printf(out, "the thread runs at ");
            append_irql(out, irql);
            g_string_append_printf(out, " on CPU %d: kernel APCs are delivered when its IRQL drops below "
                                        "APC_LEVEL (R1, R3)", (int)k->cpu);
        } else {
            g_string_append_printf(out, "deliverable now: the APC software interrupt on CPU %d delivers it (R1, D1)",
                                   (int)k->cpu);
        }
        return;
    }
    case Waiting:
        if (k->wait_irql >= APC_LEVEL) {
            g_string_append(out, "the thread waits with WaitIrql ");
            append_irql(out, k->wait_irql);
            g_string_append(out, ": no kernel APC wakes it; delivered once the wait ends and its IRQL drops "
                                 "below APC_LEVEL (I8, W6)");
        } else {
            g_string_append(out, "deliverable: a waiter at PASSIVE_LEVEL is unwaited with STATUS_KERNEL_APC to "
                                 "run it (I8, W4)");
        }
        return;
    case Ready:
    case Standby:
    case DeferredReady:
    case Transition:
        if (ctx->switched_out_irql == PASSIVE_LEVEL) {
            g_string_append_printf(out, "the thread is %s and was switched out at PASSIVE_LEVEL (a wait): its "
                                        "kernel APCs are delivered as it is switched in (K2)",
                                   state_text(k->state));
        } else {
            g_string_append_printf(out, "the thread is %s and was switched out at ", state_text(k->state));
            append_irql(out, ctx->switched_out_irql >= 0 ? ctx->switched_out_irql : APC_LEVEL);
            g_string_append(out, ": switching it in requests an APC interrupt, which delivers its kernel APCs "
                                 "once its IRQL drops below APC_LEVEL (K2, R1)");
        }
        return;
    default:
        g_string_append_printf(out, "the thread is %s", state_text(k->state));
        return;
    }
}

static void why_kernel(GString *out, const KSNAP *s, const KSNAP_THREAD *k, const KSNAP_APC *e, guint index,
                       const WhyContext *ctx)
{
    const KSNAP_APC_STATE *as = &k->apc_state;
    if (k->special_apc_disable != 0) {
        g_string_append_printf(out, "guarded region (SpecialApcDisable %d): no kernel APC is delivered until "
                                    "KeLeaveGuardedRegion (R5, D2)", k->special_apc_disable);
        return;
    }
    if (!e->special) {
        if (k->kernel_apc_disable != 0) {
            g_string_append_printf(out, "critical region (KernelApcDisable %d: KeEnterCriticalRegion or an owned "
                                        "KMUTEX): normal kernel APCs wait until it is left (R4, R8, D3)",
                                   k->kernel_apc_disable);
            return;
        }
        if (as->kernel_apc_in_progress && k->state == Waiting && k->wait_reason == Suspended) {
            g_string_append(out, "the thread is suspended: it waits inside the suspend APC's NormalRoutine with "
                                 "KernelApcInProgress set, so normal kernel APCs wait for the resume (S6, D3)");
            return;
        }
        if (as->kernel_apc_in_progress) {
            g_string_append(out, "KernelApcInProgress: another normal kernel APC's routine is running; this one "
                                 "waits for it to return (D3");
            /* win10 sets it around the KernelRoutine as well ([DIFF] row 2) */
            g_string_append(out, ctx->win10 && ctx->in_kernel_routine ? "; win10 sets it around the "
                                                                        "KernelRoutine too: D3 [DIFF])"
                                                                      : ")");
            return;
        }
        if (ctx->win10 && k->special_apc_in_progress) {
            g_string_append(out, "a special kernel APC's routine is running (SpecialApcInProgress): win10 holds "
                                 "normal kernel APCs back while any in-progress bit is set (D3 [DIFF])");
            return;
        }
    }
    kernel_by_place(out, s, k, index, ctx);
}

static void why_special_user(GString *out, const KSNAP_THREAD *k)
{
    switch (k->state) {
    case Running:
        g_string_append(out, k->mode == UserMode
                                 ? "special user APC: the thread runs user code and is interrupted for it (SU1)"
                                 : "special user APC: it runs on the thread's next return to user mode (SU1, SU2, D7)");
        return;
    case Waiting:
        if (k->wait_mode == UserMode && k->alertable)
            g_string_append(out, "special user APC: an alertable user-mode wait is interrupted for it (SU1)");
        else
            g_string_append(out, "special user APC: the wait is not alertable in user mode and is not interrupted; "
                                 "it runs when the wait ends, on the return to user mode (SU1)");
        return;
    default:
        g_string_append_printf(out, "special user APC: the thread is %s; it runs when the thread is next "
                                    "dispatched, before its user code continues (SU1b)", state_text(k->state));
        return;
    }
}

/* Regular (not special) user APCs ahead of position index: specials are
 * inserted ahead of them (SU2), so they do not make the list a FIFO queue. */
static guint regular_ahead(const KSNAP_THREAD *k, guint index)
{
    const GArray *l = k->apc_state.list[UserMode];
    guint n = 0;
    for (guint i = 0; l && i < index && i < l->len; i++)
        n += !g_array_index(l, KSNAP_APC, i).special;
    return n;
}

/* What keeps every user APC of the thread queued, whatever its place, or
 * false: the exit, a system thread, the attached environment, a suspension. */
static bool why_user_never_yet(GString *out, const KSNAP_THREAD *k, const KSNAP_APC *e, const WhyContext *ctx)
{
    if (ctx->terminating && e->id == ctx->exit_apc) {
        g_string_append(out, "the thread's exit APC, re-queued at the head of the user list with UserApcPending set "
                             "(T3): it runs at the thread's next return to user mode and ends the thread (T4)");
        return true;
    }
    if (ctx->terminating) {
        g_string_append(out, "the thread is terminating: its exit APC runs first, at its next return to user mode, "
                             "and ends it; user APCs queued before are then flushed and never run (T4, T5)");
        return true;
    }
    if (k->system) {
        g_string_append(out, "a system thread never returns to user mode: this user APC is not delivered; it is "
                             "run down when the thread ends (T5)");
        return true;
    }
    if (k->apc_state_index != 0) {
        g_string_append(out, "queued to the attached process's environment: no user APC is delivered while the "
                             "thread is attached (returning to user mode with ApcStateIndex != 0 is a bugcheck, "
                             "D7), and the detach bugchecks INVALID_PROCESS_DETACH_ATTEMPT while it is queued (E5)");
        return true;
    }
    if (k->state == Waiting && k->wait_reason == Suspended) {
        g_string_append(out, "the thread is suspended: it waits in kernel mode inside the suspend APC's "
                             "NormalRoutine, so user APCs wait for the resume; then an alertable user-mode wait "
                             "it was in returns STATUS_USER_APC at once (S6, W2)");
        return true;
    }
    return false;
}

static void why_user(GString *out, const KSNAP_THREAD *k, guint index, const WhyContext *ctx)
{
    const KSNAP_APC_STATE *as = &k->apc_state;
    if (ctx->in_user_apc && ctx->win10 && ctx->running_known && ctx->running_special) {
        g_string_append(out, "a special user APC's routine is running: on win10 the NtContinue that ends it tests "
                             "for alerts only if UserApcPending was set when it was taken, so regular APCs wait for "
                             "that or for the next alertable user-mode wait or NtTestAlert (SU2, D6 [DIFF])");
        return;
    }
    if (ctx->in_user_apc && k->alerted[UserMode]) {
        g_string_append(out, "a user APC's routine is running, and Alerted[UserMode] is set: its NtContinue's "
                             "KeTestAlertThread consumes the alert instead of arming UserApcPending, so the queued "
                             "ones wait for the next alertable user-mode wait or NtTestAlert (D6, AL5)");
        return;
    }
    if (ctx->in_user_apc) {
        g_string_append(out, "a user APC's routine is running: its NtContinue tests for alerts and arms "
                             "UserApcPending again, so the queued ones run next on the same return to user mode");
        g_string_append(out, ctx->win10 ? " (D6; not after a special user APC: D6 [DIFF])" : " (D6)");
        return;
    }
    guint ahead = ctx->win10 ? regular_ahead(k, index) : index;
    if (ahead > 0)
        g_string_append_printf(out, "behind %u earlier user APC%s in this FIFO list (I5, D4); for the head: ", ahead,
                               ahead > 1 ? "s" : "");
    if (as->user_apc_pending) {
        g_string_append(out, "UserApcPending is set: delivered on the thread's next return to user mode (D4, D5)");
        return;
    }
    if (k->state == Waiting && k->wait_mode == KernelMode)
        g_string_append(out, "the thread waits in kernel mode: a user APC neither wakes it nor runs before an "
                             "alertable user-mode wait or NtTestAlert (I8, W6, AL5)");
    else if (k->state == Waiting && !k->alertable)
        g_string_append(out, "non-alertable user-mode wait: a user APC does not wake it; it runs after an "
                             "alertable user-mode wait or NtTestAlert (I8, W2, W6, AL5)");
    else if (k->state == Waiting)
        g_string_append(out, "deliverable: an alertable user-mode waiter is unwaited with STATUS_USER_APC (I8)");
    else
        g_string_append(out, "user APCs run only after the thread makes an alertable user-mode wait or calls "
                             "NtTestAlert, then on its way back to user mode (W2, AL5, D4-D6)");
    if (k->alerted[UserMode])
        g_string_append(out, "; Alerted[UserMode] is set, so the next alertable user-mode wait or NtTestAlert "
                             "consumes the alert instead (W2a, AL5)");
}

void why_apc_queued(GString *out, const KSNAP *s, const KSNAP_THREAD *k, WhyBlock block, int mode, guint index,
                    const WhyContext *ctx)
{
    if (block == WHY_STACK_BUFFER) {
        g_string_append(out, "parked in a KeStackAttachProcess buffer, which no ApcStateIndex addresses: the "
                             "matching KeUnstackDetachProcess makes it ApcState again (E3, E4, E6)");
        return;
    }
    if (block == WHY_SAVED_APC_STATE) {
        if (k->apc_state_index != 0)
            g_string_append_printf(out, "parked: its environment is the home process and the thread is attached "
                                        "to %s; not signalled or delivered until the detach restores it "
                                        "(I6, E4, E6)", ctx->attached_to ? ctx->attached_to : "another process");
        else
            g_string_append(out, "in the unused SavedApcState of a thread that is not attached (an "
                                 "AttachedApcEnvironment APC): nothing delivers it (A4, I6)");
        return;
    }
    const GArray *list = k->apc_state.list[mode];
    if (!list || index >= list->len) {
        g_string_append(out, "not queued");
        return;
    }
    if (k->state == Terminated || k->state == Initialized) {
        g_string_append_printf(out, "the thread is %s", state_text(k->state));
        if (k->state == Initialized)
            g_string_append(out, ": its APCs wait for it to start (K2)");
        return;
    }
    const KSNAP_APC *e = &g_array_index(list, KSNAP_APC, index);
    if (mode == KernelMode)
        why_kernel(out, s, k, e, index, ctx);
    else if (why_user_never_yet(out, k, e, ctx))
        return;
    else if (e->special && ctx->win10)
        why_special_user(out, k);
    else
        why_user(out, k, index, ctx);
}
