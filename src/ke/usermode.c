/*
 * usermode.c - crossing between user and kernel mode: system-call entry,
 * the return to user mode with its user-APC loop (D5-D7), and the user-mode
 * APC dispatcher with NtContinue (D4, D6).
 *
 * The return to user mode (FRAME_USER_EXIT) is taken by every system-call
 * exit, by every interrupt that interrupted user mode, by NtContinue, and
 * once at thread start-up. It clears Alerted[KernelMode] (D7), checks that
 * no APC is disabled and the thread is not attached (APC_INDEX_MISMATCH),
 * then loops "while UAP: KiDeliverApc(User) at APC_LEVEL". A user APC whose
 * KR kept its NR is run after the frame ends, in user mode, by
 * FRAME_USER_APC (KiUserApcDispatcher), which ends with NtContinue(TestAlert
 * = TRUE): another system call whose TestAlert re-arms UAP while user APCs
 * remain, so they all run back to back before the interrupted code resumes.
 */
#include "ke/ke.h"

#include <assert.h>

/* A system call from user mode begins: PreviousMode = UserMode, the thread
 * now runs kernel code. Caller: a binding, thread in user mode. */
void ke_syscall_enter(KMACHINE *m, const char *name)
{
    KTHREAD *t = m->running;
    assert(t->mode == UserMode);
    ke_trace(m, TR_SYSCALL_ENTER, t->cpu, t->id, -1, 0, 0, 0, 0, 0, name);
    ke_set_mode(m, t, KernelMode);
}

/* The system call returns: push the return-to-user path; caller yields. */
void ke_syscall_exit(KMACHINE *m)
{
    ke_push_frame(m, m->running, FRAME_USER_EXIT)->flag = 0;
}

enum { UE_START = 0, UE_LOOP, UE_AFTER_DELIVER, UE_DONE };

KSTEP ki_run_user_exit(KMACHINE *m, KPRCB *c, KTHREAD *t, KFRAME *f)
{
    switch (f->pc) {
    case UE_START:
        if (f->flag != 1) {
            if (c->irql != PASSIVE_LEVEL) {
                KeBugCheckEx(m, BUGCODE_IRQL_GT_ZERO_AT_SYSTEM_SERVICE, 0, c->irql, 0, 0);
                return STEP_CONTINUE;
            }
        }
        if (t->kernel_apc_disable != 0 || t->special_apc_disable != 0 || t->apc_state_index != 0) {
            /* D7 */
            KeBugCheckEx(m, BUGCODE_APC_INDEX_MISMATCH, 0, t->apc_state_index,
                         ((uint64_t)(uint16_t)t->special_apc_disable << 16) | (uint16_t)t->kernel_apc_disable, 0);
            return STEP_CONTINUE;
        }
        ki_set_alerted(m, t, KernelMode, false);    /* D7: every time */
        f->pc = UE_LOOP;
        /* fall through */
    case UE_LOOP:
        /* D5: once a user routine is prepared the thread goes to user mode
         * to run it; the rest waits for the NtContinue that ends it - except
         * an exit APC that came meanwhile (T3, T4): D5 loops while UAP, and
         * its KR ends the thread before user mode */
        if ((!t->user_dispatch && (t->apc_state.user_apc_pending || t->special_user_apc_pending)) ||
            ki_exit_apc_first(t)) {
            /* D10: a return to user mode with UAP set must have user APCs
             * queued; the kernel keeps it so, but a scenario can break it
             * (KeFlushQueueApc on a live thread, C25): NT would spin here. */
            if (g_queue_is_empty(&t->apc_state.list[UserMode])) {
                ke_fail(m, StopScenarioError,
                        "invariant D10 broken: thread %s returns to user mode with %s set and an "
                        "empty user APC list (KeFlushQueueApc on a thread that is not exiting?); the return-to-"
                        "user loop would never end", t->header.name,
                        t->apc_state.user_apc_pending ? "UserApcPending" : "SpecialUserApcPending");
                return STEP_CONTINUE;
            }
            ki_set_irql(m, c, APC_LEVEL);
            f->pc = UE_AFTER_DELIVER;
            ke_push_frame(m, t, FRAME_DELIVER_APC)->flag = UserMode;
            return STEP_CONTINUE;
        }
        f->pc = UE_DONE;
        return STEP_CONTINUE;
    case UE_AFTER_DELIVER:
        ki_set_irql(m, c, PASSIVE_LEVEL);
        f->pc = UE_LOOP;
        return STEP_CONTINUE;
    case UE_DONE: {
        KAPC_CALL *dispatch = t->user_dispatch;
        t->user_dispatch = NULL;
        if (f->flag == 0)
            ke_trace(m, TR_SYSCALL_EXIT, c->number, t->id, -1, 0, 0, 0, 0, 0, NULL);
        ke_set_mode(m, t, UserMode);
        ke_pop_transparent(m, t);
        if (dispatch)
            ke_push_frame(m, t, FRAME_USER_APC)->ptr = dispatch;
        return STEP_CONTINUE;
    }
    }
    g_assert_not_reached();
}

enum { UA_START = 0, UA_RETURNED };

KSTEP ki_run_user_apc(KMACHINE *m, KPRCB *c, KTHREAD *t, KFRAME *f)
{
    KAPC_CALL *call = f->ptr;
    switch (f->pc) {
    case UA_START: {
        f->pc = UA_RETURNED;
        KCODE none = { 0, 0 };
        KFRAME *cf = ke_push_code(m, t, RtUserApcNormal, none, call->apc->id);
        cf->call = call->id;
        return STEP_CONTINUE;
    }
    case UA_RETURNED: {
        /* NtContinue(context, TestAlert = TRUE) (D6). */
        ke_trace(m, TR_SYSCALL_ENTER, c->number, t->id, -1, 0, 0, 0, 0, 0, "NtContinue");
        ke_set_mode(m, t, KernelMode);
        /* [DIFF] D6 win10: the NtContinue that ends a special user APC
         * TestAlerts only if a regular user APC was pending when it was
         * taken (SU2 [UNCERTAIN]: "pending" read as UAP set), so regular
         * APCs are otherwise not picked up (C26). */
        if (!(call->apc->special_user && m->cfg.profile == ProfileWin10) || call->regular_pending)
            KeTestAlertThread(m, UserMode);
        if (call->id && m->runner.unref)
            m->runner.unref(m->runner.ctx, call->id);
        ke_pop_transparent(m, t);     /* frees call */
        ke_push_frame(m, t, FRAME_USER_EXIT)->flag = 0;
        return STEP_CONTINUE;
    }
    }
    g_assert_not_reached();
}
