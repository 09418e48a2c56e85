/*
 * wait.c - KeWaitForSingleObject, KeWaitForMultipleObjects,
 * KeDelayExecutionThread: the W1 loop and waking (W1-W8, K2, K3).
 *
 * A wait is a FRAME_WAIT program on the waiting thread. Its loop, evaluated
 * at entry and after every restart, in this order (W1):
 *   1. a kernel APC pending, SAD == 0, WaitIrql < APC_LEVEL: drop to
 *      WaitIrql so the APC interrupt delivers it, then restart;
 *   2. the object test (WaitAny: first satisfiable wins; WaitAll: all) - a
 *      satisfiable object beats any alert or user APC;
 *   3. the alertability test (W2, in apc.c);
 *   4. the timeout already reached (a zero timeout included);
 *   5. block: Waiting, WaitIrql/WaitMode/Alertable recorded, switch away.
 * When the thread is switched back in, a kernel APC pending since it was
 * switched out at PASSIVE is delivered first (K2), then WaitStatus - as it
 * was before that delivery - decides: STATUS_KERNEL_APC restarts the loop
 * with the same due time (W4: the remaining time shrinks), anything else
 * is returned.
 *
 * The loop runs at SYNCH_LEVEL (the dispatcher lock); W1.1 drops to
 * WaitIrql to let the APC interrupt in and raises again on restart.
 */
#include "ke/ke.h"

#include <assert.h>
#include <string.h>

/* Start a wait of the current thread (any Ke wait). IRQL <= DISPATCH_LEVEL
 * (DISPATCH only with a zero timeout); else bugcheck. Pushes FRAME_WAIT
 * whose result is the NTSTATUS; the caller yields to the CPU loop. */
void ke_wait_begin(KMACHINE *m, const KWAIT_ARGS *a)
{
    KTHREAD *t = m->running;
    KPRCB *c = m->running_cpu;
    if (c->irql > DISPATCH_LEVEL && !(t->wait_next && t->wait_next_irql <= DISPATCH_LEVEL)) {
        KeBugCheckEx(m, BUGCODE_IRQL_NOT_LESS_OR_EQUAL, 0, c->irql, 0, 0);
        return;
    }
    assert(a->count >= 0 && a->count <= KE_MAX_WAIT_OBJECTS);
    /* Each wait frame owns its record: a wait made by an APC routine that
     * runs inside another wait (the suspend APC's, S6) must not overwrite
     * the arguments the outer wait restarts with (W4). */
    if (t->wait_depth == t->wait_pool_cap) {
        t->wait_pool_cap = t->wait_pool_cap ? t->wait_pool_cap * 2 : 2;
        t->wait_pool = g_renew(KWAIT *, t->wait_pool, t->wait_pool_cap);
        for (int i = t->wait_depth; i < t->wait_pool_cap; i++)
            t->wait_pool[i] = NULL;
    }
    if (!t->wait_pool[t->wait_depth]) {
        KWAIT *nw = g_new0(KWAIT, 1);
        nw->objects = nw->objects_inline;
        nw->blocks = nw->blocks_inline;
        nw->cap = KE_WAIT_INLINE;
        t->wait_pool[t->wait_depth] = nw;
    }
    KWAIT *w = t->wait = t->wait_pool[t->wait_depth++];
    if (a->count > w->cap) {
        /* no block is linked between waits, so the arrays may move now */
        if (w->objects != w->objects_inline) {
            g_free(w->objects);
            g_free(w->blocks);
        }
        w->objects = g_new0(DISPATCHER_HEADER *, a->count);
        w->blocks = g_new0(KWAIT_BLOCK, a->count);
        w->cap = a->count;
    }
    w->count = a->count;
    for (int i = 0; i < a->count; i++) {
        w->objects[i] = a->objects[i];
        KWAIT_BLOCK *wb = &w->blocks[i];
        wb->thread = t;
        wb->object = a->objects[i];
        wb->wait_key = (int16_t)i;
        wb->wait_type = a->wait_type == WaitAll ? WaitAll : WaitAny;
        wb->linked = false;
        wb->link.data = wb;
    }
    w->wait_type = (uint8_t)a->wait_type;
    w->mode = (uint8_t)a->mode;
    w->alertable = a->alertable;
    w->reason = (uint8_t)a->reason;
    w->timeout = a->timeout;
    w->due = a->timeout < 0 ? SIM_TIME_NEVER : ki_due_time(m, a->timeout);
    w->timer_event = 0;
    /* The objects, by id, for replay (the detail shows the first by name). */
    char ids[KE_MAX_WAIT_OBJECTS * 12] = "";
    size_t n = 0;
    for (int i = 0; i < a->count && n < sizeof ids - 12; i++)
        n += (size_t)snprintf(ids + n, sizeof ids - n, "%s%d", i ? "," : "", a->objects[i]->id);
    ke_trace(m, TR_WAIT_BEGIN, c->number, t->id, a->count ? a->objects[0]->id : -1, a->wait_type, a->mode,
             a->alertable, a->timeout, a->count, a->count > 1 ? ids : NULL);
    KFRAME *f = ke_push_frame(m, t, FRAME_WAIT);
    f->ptr = w;
    f->saved_irql = c->irql;        /* WaitIrql */
    if (t->wait_next) {
        /* after a signal with Wait = TRUE: the lock is held already */
        f->saved_irql = t->wait_next_irql;
        t->wait_next = false;
    }
    /* The wait runs with the dispatcher database locked (SYNCH_LEVEL): no
     * interrupt can come between a signal made "with Wait = TRUE" and the
     * wait that follows it (SignalObjectAndWait). */
    ki_set_irql(m, c, SYNCH_LEVEL);
}

static void ki_unlink_wait_blocks(KTHREAD *t)
{
    KWAIT *w = t->wait;
    for (int i = 0; i < w->count; i++) {
        KWAIT_BLOCK *wb = &w->blocks[i];
        if (wb->linked) {
            g_queue_unlink(&wb->object->wait_list, &wb->link);
            wb->linked = false;
        }
    }
}

/* KiUnwaitThread (K3): unlink every wait block and the timer, record the
 * status, ready the thread with the boost of K4. t must be Waiting. */
void ki_unwait_thread(KMACHINE *m, KTHREAD *t, NTSTATUS status, int increment)
{
    assert(t->state == Waiting);
    ki_unlink_wait_blocks(t);
    ki_wait_timer_cancel(m, t);
    t->wait_status = status;
    ke_trace(m, TR_UNWAIT, m->running_cpu ? m->running_cpu->number : -1, t->id, -1, status, increment, 0, 0, 0,
             NULL);
    ki_ready_after_wait(m, t, increment);
}

void ki_wait_timeout(KMACHINE *m, KTHREAD *t)
{
    if (t->state == Waiting)
        ki_unwait_thread(m, t, STATUS_TIMEOUT, 0);
}

/* W1.2: the object test; returns the status, or -1 if not satisfied. */
static NTSTATUS ki_test_objects(KMACHINE *m, KTHREAD *t, KWAIT *w)
{
    if (w->wait_type == WaitDelay || w->count == 0)
        return -1;
    if (w->wait_type == WaitAny) {
        for (int i = 0; i < w->count; i++) {
            DISPATCHER_HEADER *h = w->objects[i];
            if (ki_object_satisfiable(h, t)) {
                bool abandoned = h->type == MutantObject && ((KMUTANT *)h)->abandoned;
                ki_object_satisfy(m, h, t);
                return (abandoned ? STATUS_ABANDONED_WAIT_0 : STATUS_WAIT_0) + i;
            }
        }
        return -1;
    }
    for (int i = 0; i < w->count; i++)
        if (!ki_object_satisfiable(w->objects[i], t))
            return -1;
    bool abandoned = false;
    for (int i = 0; i < w->count; i++) {
        abandoned |= w->objects[i]->type == MutantObject && ((KMUTANT *)w->objects[i])->abandoned;
        ki_object_satisfy(m, w->objects[i], t);
    }
    return abandoned ? STATUS_ABANDONED_WAIT_0 : STATUS_WAIT_0;
}

enum { W_LOOP = 0, W_RESUMED, W_AFTER_K2, W_RESTART, W_YIELDED };

static KSTEP ki_wait_done(KMACHINE *m, KPRCB *c, KTHREAD *t, KFRAME *f, NTSTATUS status)
{
    KWAIT *w = f->ptr;
    KIRQL wait_irql = f->saved_irql;
    if (w->wait_type == WaitDelay && status == STATUS_TIMEOUT)
        status = STATUS_SUCCESS;    /* W8: a delay that ran out succeeded */
    ki_wait_timer_cancel(m, t);
    ke_trace(m, TR_WAIT_END, c->number, t->id, -1, status, 0, 0, 0, 0, NULL);
    t->wait_depth--;
    t->wait = t->wait_depth ? t->wait_pool[t->wait_depth - 1] : NULL;
    ke_pop_frame(m, t, status);
    ki_set_irql(m, c, wait_irql);
    return STEP_CONTINUE;
}

/* K6: a wait satisfied without blocking charges one quantum unit. */
static void ki_charge_wait(KMACHINE *m, KTHREAD *t)
{
    if (t->priority >= KE_LOW_REALTIME_PRIORITY || t->base_priority >= 14)
        return;
    ki_charge_quantum(m, t, 1);
}

KSTEP ki_run_wait(KMACHINE *m, KPRCB *c, KTHREAD *t, KFRAME *f)
{
    KWAIT *w = t->wait = f->ptr;    /* this frame's record is the active one while it runs */
    KIRQL wait_irql = f->saved_irql;
    switch (f->pc) {
    case W_YIELDED:
        /* back from a yield, switched out at PASSIVE: K2 as for a wait */
        t->wait_status = STATUS_SUCCESS;
        f->pc = W_RESUMED;
        return STEP_CONTINUE;
    case W_RESTART:
        ki_set_irql(m, c, SYNCH_LEVEL);
        f->pc = W_LOOP;
        /* fall through */
    case W_LOOP: {
        /* W1.1: pending kernel APCs are delivered before anything else. */
        if (t->apc_state.kernel_apc_pending && t->special_apc_disable == 0 && wait_irql < APC_LEVEL) {
            ki_request_software_interrupt(m, c, APC_LEVEL);
            ki_set_irql(m, c, wait_irql);
            f->pc = W_RESTART;
            return STEP_CONTINUE;       /* the APC interrupt runs, then we restart */
        }
        /* W1.2: objects first. */
        NTSTATUS st = ki_test_objects(m, t, w);
        if (st >= 0) {
            ki_charge_wait(m, t);
            return ki_wait_done(m, c, t, f, st);
        }
        /* W1.3: alerts and user APCs (W2). */
        st = ki_check_alertability(m, t, w->alertable, (KPROCESSOR_MODE)w->mode);
        if (st != 0)
            return ki_wait_done(m, c, t, f, st);
        /* W1.4: timeout reached. */
        if (w->due != SIM_TIME_NEVER && w->due <= m->now) {
            if (w->wait_type == WaitDelay && w->timeout == 0 && w->mode == UserMode && !w->alertable &&
                !t->apc_state.user_apc_pending) {
                /* A zero delay yields to a ready thread of the same priority
                 * (NtYieldExecution): the caller goes to the tail of its
                 * queue and the wait ends when it runs again. */
                KTHREAD *n = c->next ? NULL : ki_select_ready_thread(m, c, t->priority);
                if (n) {
                    t->quantum_end = false;
                    f->pc = W_YIELDED;
                    ki_swap_to(m, c, n, wait_irql);
                    ki_ready_thread(m, t);
                    return STEP_SWITCHED;
                }
            }
            return ki_wait_done(m, c, t, f, STATUS_TIMEOUT);
        }
        /* W1.5: block. */
        if (c->dpc_active) {
            KeBugCheckEx(m, BUGCODE_ATTEMPTED_SWITCH_FROM_DPC, t->id, 0, 0, 0);
            return STEP_CONTINUE;
        }
        if (wait_irql >= DISPATCH_LEVEL) {
            KeBugCheckEx(m, BUGCODE_IRQL_NOT_LESS_OR_EQUAL, 0, wait_irql, 0, 0);
            return STEP_CONTINUE;
        }
        for (int i = 0; i < w->count; i++) {
            KWAIT_BLOCK *wb = &w->blocks[i];
            g_queue_push_tail_link(&wb->object->wait_list, &wb->link);
            wb->linked = true;
        }
        if (w->due != SIM_TIME_NEVER)
            ki_wait_timer_arm(m, t, w->due);
        t->wait_irql = wait_irql;
        t->wait_mode = w->mode;
        t->alertable = w->alertable;
        t->wait_reason = w->reason;
        t->wait_status = 0;
        t->waits++;
        ki_set_state(m, t, Waiting);
        f->pc = W_RESUMED;
        ki_switch_out_current(m, c);
        return STEP_SWITCHED;
    }
    case W_RESUMED:
        /* K2: switched out at PASSIVE with a kernel APC pending - deliver it
         * before the wait routine returns; keep the status captured before. */
        f->value = t->wait_status;
        f->pc = W_AFTER_K2;
        if (t->apc_state.kernel_apc_pending && t->special_apc_disable == 0 && wait_irql == PASSIVE_LEVEL) {
            ki_set_irql(m, c, APC_LEVEL);
            ke_push_frame(m, t, FRAME_DELIVER_APC)->flag = KernelMode;
            return STEP_CONTINUE;
        }
        /* fall through */
    case W_AFTER_K2: {
        NTSTATUS st = (NTSTATUS)f->value;
        if (st == STATUS_KERNEL_APC) {
            /* W4: transparent; back to WaitIrql (K2), then restart the
             * loop - raising again - with the same due time. */
            f->pc = W_RESTART;
            ki_set_irql(m, c, wait_irql);
            return STEP_CONTINUE;
        }
        return ki_wait_done(m, c, t, f, st);
    }
    }
    g_assert_not_reached();
}
