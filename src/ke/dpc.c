/*
 * dpc.c - deferred procedure calls and the DISPATCH software interrupt
 * (R10, K5, K6).
 *
 * A DPC is per CPU: KeInsertQueueDpc appends it to the target CPU's FIFO
 * queue and latches a DISPATCH request there (an IPI for another CPU). When
 * that CPU's IRQL drops below DISPATCH_LEVEL the request is taken
 * (cpu.c) and this file's program, KiDispatchInterrupt, runs on top of
 * whatever thread the CPU was running:
 *   1. raise to DISPATCH_LEVEL;
 *   2. KiRetireDpcList: expired timers first (CPU 0 owns the timer list),
 *      then the DPC queue in FIFO order, each routine at DISPATCH_LEVEL in
 *      the interrupted thread's context (R10);
 *   3. quantum end (K6), then a switch to the standby thread if there is one
 *      (K5): the interrupted thread is readied (head of its queue if it was
 *      preempted, tail at quantum end, K1) and resumes here later;
 *   4. lower back to the interrupted IRQL; if the interrupt came from user
 *      mode, leave through the return-to-user path (D7).
 */
#include "ke/ke.h"

#include <assert.h>

/* Create a DPC object owning a routine. Never fails. */
KDPC *ke_dpc_create(KMACHINE *m, const char *name, KCODE routine)
{
    KDPC *d = g_new0(KDPC, 1);
    d->id = m->next_apc_id++;
    d->name = g_strdup(name ? name : "dpc");
    d->routine = routine;
    d->link.data = d;
    d->target_cpu = -1;
    g_ptr_array_add(m->dpcs, d);
    ke_trace_name(m, "apc", d->id, d->name);
    return d;
}

/* KeInsertQueueDpc: any IRQL. FALSE if already queued (a KDPC is in at most
 * one queue). Latches a DISPATCH request on the target CPU. */
bool KeInsertQueueDpc(KMACHINE *m, KDPC *dpc, int cpu)
{
    if (dpc->inserted)
        return false;
    KPRCB *c = &m->cpu[cpu];
    dpc->inserted = true;
    dpc->target_cpu = cpu;
    g_queue_push_tail_link(&c->dpc_queue, &dpc->link);
    ke_trace(m, TR_DPC_QUEUE, m->running_cpu ? m->running_cpu->number : cpu,
             m->running ? m->running->id : -1, dpc->id, cpu, c->dpc_queue.length, 0, 0, 0, NULL);
    ki_request_software_interrupt(m, c, DISPATCH_LEVEL);
    return true;
}

enum { DI_ENTER = 0, DI_RETIRE, DI_DPC_DONE, DI_SWITCH, DI_RESUMED };

KSTEP ki_run_dispatch_int(KMACHINE *m, KPRCB *c, KTHREAD *t, KFRAME *f)
{
    switch (f->pc) {
    case DI_ENTER:
        ki_set_irql(m, c, DISPATCH_LEVEL);
        f->pc = DI_RETIRE;
        /* fall through */
    case DI_RETIRE:
        /* Timer expiry first (R10), on CPU 0 which owns the timer list. */
        if (c->number == 0) {
            GList *l;
            while ((l = g_queue_pop_head_link(&m->expired_timers)) != NULL)
                ki_timer_expire(m, l->data);
        }
        if (!g_queue_is_empty(&c->dpc_queue)) {
            KDPC *d = g_queue_pop_head_link(&c->dpc_queue)->data;
            d->inserted = false;
            c->dpc_active = true;
            c->dpcs++;
            ke_trace(m, TR_DPC_BEGIN, c->number, t->id, d->id, c->dpc_queue.length, 0, 0, 0, 0, NULL);
            f->pc = DI_DPC_DONE;
            f->value = d->id;
            ke_push_code(m, t, RtDpc, d->routine, d->id);
            return STEP_CONTINUE;
        }
        f->pc = DI_SWITCH;
        return STEP_CONTINUE;
    case DI_DPC_DONE:
        c->dpc_active = false;
        ke_trace(m, TR_DPC_END, c->number, t->id, (int32_t)f->value, 0, 0, 0, 0, 0, NULL);
        f->pc = DI_RETIRE;
        return STEP_CONTINUE;
    case DI_SWITCH:
        ki_quantum_end(m, c);
        f->pc = DI_RESUMED;
        if (c->next) {
            KTHREAD *next = c->next;
            if (t->idle) {
                ki_swap_to(m, c, next, DISPATCH_LEVEL);
            } else {
                ki_swap_to(m, c, next, DISPATCH_LEVEL);
                ki_ready_thread(m, t);   /* head if preempted (K1), tail at quantum end */
            }
            return STEP_SWITCHED;
        }
        /* fall through */
    case DI_RESUMED:
        ki_interrupt_return(m, c, t, f);
        return STEP_CONTINUE;
    }
    g_assert_not_reached();
}
