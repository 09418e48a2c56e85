/*
 * dispatcher.c - ready queues, thread selection, preemption, quantum,
 * unwait boosts and context switches (K1-K6).
 *
 * Every CPU has 32 FIFO ready queues and a summary bitmap (K1). A thread
 * made ready (KiReadyThread / KiDeferredReadyThread) goes, in this order:
 *   1. to an idle CPU in its affinity (its last CPU if idle, else the
 *      lowest-numbered idle one) as that CPU's standby thread;
 *   2. else it is compared with the thread running (or on standby) on its
 *      last CPU (or the lowest CPU of its affinity): higher priority makes it
 *      that CPU's standby thread and the running one is preempted (K5);
 *   3. else it joins that CPU's ready queue: at the head if it was
 *      preempted, at the tail otherwise (K1).
 * A CPU looking for work (a thread blocked, quantum end) takes the highest
 * priority thread of its own queues, then of other CPUs' queues whose
 * affinity allows it (lowest CPU number first at equal priority).
 * The choice is checked against a brute-force scan in tests/unit.
 *
 * Switching is always done by the CPU itself: a standby thread is taken by
 * the DISPATCH software interrupt (dpc.c) or by a thread that blocks.
 * Simplification: NT's deferred-ready list is not modelled (K3 readies at
 * once, in unwait order - K3b); the WRK's newest-first order is a [DIFF].
 */
#include "ke/ke.h"

#include <assert.h>

void ki_set_state(KMACHINE *m, KTHREAD *t, KTHREAD_STATE s)
{
    if (t->state == s)
        return;
    int cpu = (s == Running || t->state == Running) ? t->cpu : s == Standby ? t->standby_cpu : -1;
    ke_trace(m, TR_THREAD_STATE, cpu, t->id, -1, t->state, s,
             s == Waiting ? t->wait_reason : 0, s == Terminated ? t->exit_status : 0,
             0, NULL);
    t->state = s;
}

void ki_set_priority(KMACHINE *m, KTHREAD *t, int prio, KPRIO_REASON why)
{
    if (t->priority == prio)
        return;
    ke_trace(m, TR_PRIORITY, t->state == Running ? t->cpu : -1, t->id, -1, t->priority, prio, why,
             t->priority_decrement, 0, NULL);
    t->priority = (int8_t)prio;
}

static void ki_queue_ready(KMACHINE *m, KPRCB *c, KTHREAD *t, bool head)
{
    assert(t->ready_cpu < 0);
    t->ready_link.data = t;
    if (head)
        g_queue_push_head_link(&c->ready[t->priority], &t->ready_link);
    else
        g_queue_push_tail_link(&c->ready[t->priority], &t->ready_link);
    c->ready_summary |= 1u << t->priority;
    t->ready_cpu = c->number;
    t->preempted = false;
    ke_trace(m, TR_THREAD_STATE, c->number, t->id, -1, t->state, Ready, 0, 0, head ? 1 : 0, NULL);
    t->state = Ready;
}

static void ki_remove_ready(KMACHINE *m, KTHREAD *t)
{
    (void)m;
    if (t->ready_cpu < 0)
        return;
    KPRCB *c = &m->cpu[t->ready_cpu];
    g_queue_unlink(&c->ready[t->priority], &t->ready_link);
    if (g_queue_is_empty(&c->ready[t->priority]))
        c->ready_summary &= ~(1u << t->priority);
    t->ready_cpu = -1;
}

static int ki_highest_bit(uint32_t v)
{
    return 31 - __builtin_clz(v);
}

/* The best thread of cpu o's queues that may run on c with priority >=
 * min_priority, or NULL. Uses the summary bitmap. */
static KTHREAD *ki_best_in(KPRCB *o, KPRCB *c, int min_priority)
{
    uint32_t summary = o->ready_summary;
    while (summary) {
        int p = ki_highest_bit(summary);
        if (p < min_priority)
            return NULL;
        for (GList *l = o->ready[p].head; l; l = l->next) {
            KTHREAD *t = l->data;
            if (t->affinity & ((uint64_t)1 << c->number))
                return t;
        }
        summary &= ~(1u << p);
    }
    return NULL;
}

/* KiSelectReadyThread (+ stealing): see the design note. Does not dequeue. */
KTHREAD *ki_select_ready_thread(KMACHINE *m, KPRCB *c, int min_priority)
{
    KTHREAD *best = ki_best_in(c, c, min_priority);
    for (int i = 1; i < m->ncpus; i++) {
        KPRCB *o = &m->cpu[(c->number + i) % m->ncpus];
        if (!o->ready_summary)
            continue;
        KTHREAD *t = ki_best_in(o, c, best ? best->priority + 1 : min_priority);
        if (t)
            best = t;
    }
    return best;
}

/* The same choice by brute force, for the differential test: every thread
 * in every queue, highest priority, then own CPU first, then CPUs in order
 * starting after c, then FIFO position. */
KTHREAD *ki_select_ready_thread_naive(KMACHINE *m, KPRCB *c, int min_priority)
{
    KTHREAD *best = NULL;
    for (int i = 0; i < m->ncpus; i++) {
        KPRCB *o = &m->cpu[(c->number + i) % m->ncpus];
        for (int p = 0; p < KE_MAXIMUM_PRIORITY; p++)
            for (GList *l = o->ready[p].head; l; l = l->next) {
                KTHREAD *t = l->data;
                if (t->priority < min_priority || !(t->affinity & ((uint64_t)1 << c->number)))
                    continue;
                if (!best || t->priority > best->priority)
                    best = t;
            }
    }
    return best;
}

/* Make t the standby (NextThread) of c and ask c to switch (K5). */
static void ki_set_standby(KMACHINE *m, KPRCB *c, KTHREAD *t)
{
    KTHREAD *old = c->next;
    ki_remove_ready(m, t);
    c->next = t;
    t->standby_cpu = c->number;
    ki_set_state(m, t, Standby);
    if (old) {
        /* The displaced standby thread is readied again - after t took the
         * slot, so it cannot land on this CPU's standby slot again; it goes
         * to a ready queue at the head (it was preempted, K1) unless another
         * CPU is idle. */
        old->standby_cpu = -1;
        old->preempted = true;
        ki_ready_thread(m, old);
    }
    ki_request_software_interrupt(m, c, DISPATCH_LEVEL);
}

/* K4: unwait boost and quantum adjustment, applied as the thread is readied. */
static void ki_apply_unwait_boost(KMACHINE *m, KTHREAD *t, int increment)
{
    int8_t q0 = t->quantum;
    if (t->priority >= KE_LOW_REALTIME_PRIORITY || t->base_priority >= 14) {
        t->quantum = t->quantum_reset;          /* quantum reset, no boost */
    } else {
        if (t->priority_decrement == 0 && increment != 0)
            t->quantum = t->quantum_reset;
        if (t->wait_status != STATUS_KERNEL_APC) {
            t->quantum -= 1;                    /* a wait charges one unit (K6) */
            if (t->quantum <= 0) {
                t->quantum = t->quantum_reset;
                int np = t->priority - (t->priority_decrement + 1);
                if (np < t->base_priority)
                    np = t->base_priority;
                t->priority_decrement = 0;
                ki_set_priority(m, t, np, PrioQuantumDecay);
            }
        }
        if (t->priority_decrement == 0 && increment > 0) {
            int cand = t->base_priority + increment;
            if (cand >= KE_LOW_REALTIME_PRIORITY)
                cand = KE_LOW_REALTIME_PRIORITY - 1;
            if (cand > t->priority) {
                t->priority_decrement = 0;      /* no foreground separation: no excess */
                ki_set_priority(m, t, cand, PrioUnwaitBoost);
            }
        }
    }
    ke_trace_field(m, t, FLD_QUANTUM, q0, t->quantum);
}

/* KiReadyThread: t (Initialized, Waiting, Running-preempted, Standby-displaced)
 * becomes Ready or Standby somewhere. Any IRQL; the caller is the kernel. */
void ki_ready_thread(KMACHINE *m, KTHREAD *t)
{
    assert(t->state != Terminated && !t->idle);
    uint64_t all = m->ncpus == 64 ? ~(uint64_t)0 : (((uint64_t)1 << m->ncpus) - 1);
    uint64_t aff = t->affinity & all;
    assert(aff);
    /* 1. an idle CPU */
    KPRCB *idle = NULL;
    if ((aff & ((uint64_t)1 << t->cpu)) && m->cpu[t->cpu].current == m->cpu[t->cpu].idle && !m->cpu[t->cpu].next)
        idle = &m->cpu[t->cpu];
    for (int i = 0; !idle && i < m->ncpus; i++)
        if ((aff & ((uint64_t)1 << i)) && m->cpu[i].current == m->cpu[i].idle && !m->cpu[i].next)
            idle = &m->cpu[i];
    if (idle) {
        ki_set_standby(m, idle, t);
        return;
    }
    /* 2. preempt the target CPU */
    KPRCB *target = (aff & ((uint64_t)1 << t->cpu)) ? &m->cpu[t->cpu] : &m->cpu[__builtin_ctzll(aff)];
    KTHREAD *running = target->next ? target->next : target->current;
    if (t->priority > running->priority) {
        if (!target->next)
            target->current->preempted = true;
        ki_set_standby(m, target, t);
        return;
    }
    /* 3. a ready queue */
    ki_queue_ready(m, target, t, t->preempted);
}

/* KiUnwaitThread's readying half, used by wait.c: boost, then ready (K3, K4). */
void ki_ready_after_wait(KMACHINE *m, KTHREAD *t, int increment)
{
    ki_apply_unwait_boost(m, t, increment);
    ki_ready_thread(m, t);
}

/* Switch c from its current thread to next. The caller has already given
 * the old thread its new state (Waiting, Terminated, Ready...). */
void ki_swap_to(KMACHINE *m, KPRCB *c, KTHREAD *next, KIRQL switched_out_irql)
{
    KTHREAD *old = c->current;
    assert(next != old);
    old->apc_bypass_off = switched_out_irql >= APC_LEVEL;
    old->switches++;
    if (c->next == next) {
        c->next = NULL;
        next->standby_cpu = -1;
    } else if (next->standby_cpu >= 0) {
        m->cpu[next->standby_cpu].next = NULL;
        next->standby_cpu = -1;
    }
    ki_remove_ready(m, next);
    /* Switching happens at DISPATCH_LEVEL or above (SYNCH in a wait). */
    if (c->irql < DISPATCH_LEVEL)
        ki_set_irql(m, c, DISPATCH_LEVEL);
    ke_trace(m, TR_CONTEXT_SWITCH, c->number, next->id, -1, old->id, next->id, switched_out_irql, 0, 0, NULL);
    if (old->idle)
        ki_set_state(m, old, Ready);    /* an idle thread is never queued: state only */
    c->current = next;
    next->cpu = c->number;
    ki_set_state(m, next, Running);
    /* K2: a kernel APC pending for the incoming thread. Switched out at
     * IRQL >= APC_LEVEL ("APC bypass disabled"): request the APC interrupt;
     * switched out at PASSIVE (a wait): its wait frame delivers directly. */
    if (next->apc_state.kernel_apc_pending && next->special_apc_disable == 0 && next->apc_bypass_off)
        ki_request_software_interrupt(m, c, APC_LEVEL);
    if (m->cfg.context_switch_cost > 0 && !next->idle) {
        KFRAME *f = ke_push_frame(m, next, FRAME_SPIN);
        f->compute_left = m->cfg.context_switch_cost;
    }
}

/* The current thread of c stopped running (blocked or ended): run the
 * standby thread, else the best ready one, else the idle thread. */
void ki_switch_out_current(KMACHINE *m, KPRCB *c)
{
    KTHREAD *next = c->next;
    if (!next)
        next = ki_select_ready_thread(m, c, 0);
    if (!next)
        next = c->idle;
    ki_swap_to(m, c, next, c->current->wait_irql);
}

/* The idle thread's loop (KiIdleLoop): take a standby or ready thread, else halt. */
KSTEP ki_run_idle(KMACHINE *m, KPRCB *c, KTHREAD *t, KFRAME *f)
{
    (void)f;
    if (c->irql != PASSIVE_LEVEL)
        ki_set_irql(m, c, PASSIVE_LEVEL);
    KTHREAD *next = c->next ? c->next : ki_select_ready_thread(m, c, 0);
    if (!next)
        return STEP_HALT;
    t->wait_irql = PASSIVE_LEVEL;
    ki_swap_to(m, c, next, PASSIVE_LEVEL);
    return STEP_SWITCHED;
}

/* Charge quantum units to t (K6); at zero its quantum ends, which the
 * DISPATCH interrupt of its CPU handles (ki_quantum_end). */
void ki_charge_quantum(KMACHINE *m, KTHREAD *t, int units)
{
    int8_t q0 = t->quantum;
    t->quantum = (int8_t)(t->quantum - units);
    ke_trace_field(m, t, FLD_QUANTUM, q0, t->quantum);
    if (t->quantum <= 0 && !t->quantum_end) {
        t->quantum_end = true;
        ki_request_software_interrupt(m, ke_cpu_of(m, t), DISPATCH_LEVEL);
    }
}

/* KeUpdateRunTime for every CPU (K6): a clock tick charges 3 quantum units
 * to each running thread; quantum end is handled by the DISPATCH interrupt. */
void ki_clock_tick(KMACHINE *m)
{
    for (int i = 0; i < m->ncpus; i++) {
        KPRCB *c = &m->cpu[i];
        KTHREAD *t = c->current;
        if (t == c->idle)
            continue;
        ki_charge_quantum(m, t, 3);
    }
}

/* KiQuantumEnd, from the DISPATCH interrupt of c (K6): reset the quantum,
 * decay the priority, and hand the CPU to a ready thread of >= priority. */
void ki_quantum_end(KMACHINE *m, KPRCB *c)
{
    KTHREAD *t = c->current;
    if (!t->quantum_end || t == c->idle)
        return;
    t->quantum_end = false;
    ke_trace(m, TR_QUANTUM_END, c->number, t->id, -1, t->priority, 0, 0, 0, 0, NULL);
    int8_t q0 = t->quantum;
    t->quantum = t->quantum_reset;
    ke_trace_field(m, t, FLD_QUANTUM, q0, t->quantum);
    if (t->priority < KE_LOW_REALTIME_PRIORITY) {
        int np = t->priority - (t->priority_decrement + 1);
        if (np < t->base_priority)
            np = t->base_priority;
        t->priority_decrement = 0;
        ki_set_priority(m, t, np, PrioQuantumDecay);
    }
    if (!c->next) {
        KTHREAD *n = ki_select_ready_thread(m, c, t->priority);
        if (n) {
            ki_remove_ready(m, n);
            c->next = n;
            n->standby_cpu = c->number;
            ki_set_state(m, n, Standby);
        }
    }
}

/* KeSetPriorityThread: returns the old priority; may preempt. */
int KeSetPriorityThread(KMACHINE *m, KTHREAD *t, int prio)
{
    int old = t->priority;
    int8_t b0 = t->base_priority;
    t->base_priority = (int8_t)prio;
    ke_trace_field(m, t, FLD_BASE_PRIORITY, b0, prio);
    t->priority_decrement = 0;
    if (t->state == Ready) {
        ki_remove_ready(m, t);
        ki_set_priority(m, t, prio, PrioSet);
        ki_ready_thread(m, t);
    } else {
        ki_set_priority(m, t, prio, PrioSet);
        if (t->state == Running && t != m->cpu[t->cpu].idle) {
            KPRCB *c = &m->cpu[t->cpu];
            if (!c->next) {
                KTHREAD *n = ki_select_ready_thread(m, c, prio + 1);
                if (n) {
                    t->preempted = true;
                    ki_set_standby(m, c, n);
                }
            }
        }
    }
    return old;
}
