/*
 * cpu.c - a processor running frames: the heart of the execution model
 * described in ke.h.
 *
 * ki_cpu_run() repeats, for one CPU:
 *   1. a latched software interrupt whose level is above the IRQL is taken
 *      (R1: DISPATCH before APC), by pushing its handler frame on top of the
 *      current thread's frames - an interrupt runs on the interrupted
 *      thread's stack, which is what makes DPCs run "in arbitrary thread
 *      context" and R2 possible;
 *   2. if the top frame still has time to spend, the CPU starts computing and
 *      the loop stops until the engine's EV_COMPUTE_DONE (or an interrupt,
 *      which first calls ki_cpu_stop_compute to save what is left);
 *   3. otherwise the top frame's program (or scenario code) takes one step.
 * It stops when the CPU computes, halts idle, yields (a kernel program that
 * lets the rest of this instant's work, other CPUs' included, run first:
 * STEP_YIELD), or the run stops.
 *
 * A CPU never runs another CPU's loop from inside its own: work for another
 * CPU is an EV_CPU_KICK event at the current time (an IPI), processed after
 * this CPU has stopped. That keeps the order total and explicit.
 */
#include "ke/ke.h"

#include <assert.h>

bool ki_swint_deliverable(const KPRCB *c)
{
    return ((c->swint & SWINT_DISPATCH) && c->irql < DISPATCH_LEVEL) ||
           ((c->swint & SWINT_APC) && c->irql < APC_LEVEL);
}

bool ke_needs_yield(KMACHINE *m)
{
    KPRCB *c = m->running_cpu;
    KTHREAD *t = m->running;
    if (!c || !t)
        return false;
    if (ke_stopping(m))
        return true;
    /* A frame was pushed above the code frame that is running, or the thread
     * is no longer the CPU's current one. */
    if (c->current != t || t->nframes != m->running_depth)
        return true;
    return ki_swint_deliverable(c);
}

void ki_cpu_stop_compute(KMACHINE *m, KPRCB *c)
{
    if (!c->computing)
        return;
    KTHREAD *t = c->current;
    KFRAME *f = ke_top_frame(t);
    sim_queue_cancel(m->q, c->compute_event);
    c->compute_event = 0;
    c->computing = false;
    f->compute_left = f->compute_until - m->now;
    assert(f->compute_left >= 0);
    t->cpu_time += m->now - c->compute_start;
    if (t != c->idle)
        c->busy_time += m->now - c->compute_start;
}

void ki_cpu_kick(KMACHINE *m, KPRCB *c)
{
    c->halted = false;
    if (c->in_run)
        return;             /* this CPU's loop looks again after the current step */
    sim_queue_push(m->q, m->now, EV_CPU_KICK, c->number, 0);
}

/* Scenario code: resume the coroutine of the top code frame (or start it). */
KSTEP ki_run_code(KMACHINE *m, KPRCB *c, KTHREAD *t, KFRAME *f)
{
    int64_t ret = 0;
    if (!m->runner.resume) {
        ke_pop_frame(m, t, 0);
        return STEP_CONTINUE;
    }
    KRUN_RESULT r = m->runner.resume(m->runner.ctx, t, f, &ret);
    switch (r) {
    case KRUN_RETURNED:
        /* f may have moved if frames were pushed: the code frame is the one
         * the runner returned from, which is on top again by construction. */
        ke_pop_frame(m, t, ret);
        return STEP_CONTINUE;
    case KRUN_COMPUTE:
    case KRUN_KCALL:
        return c->current == t ? STEP_CONTINUE : STEP_SWITCHED;
    case KRUN_ERROR:
        if (!ke_stopping(m))
            ke_fail(m, StopScenarioError, "scenario code failed");
        return STEP_CONTINUE;
    }
    return STEP_CONTINUE;
}

static KSTEP ki_step(KMACHINE *m, KPRCB *c, KTHREAD *t, KFRAME *f)
{
    switch ((KFRAME_KIND)f->kind) {
    case FRAME_CODE:         return ki_run_code(m, c, t, f);
    case FRAME_THREAD_START: return ki_run_thread_start(m, c, t, f);
    case FRAME_IDLE:         return ki_run_idle(m, c, t, f);
    case FRAME_DISPATCH_INT: return ki_run_dispatch_int(m, c, t, f);
    case FRAME_APC_INT:      return ki_run_apc_int(m, c, t, f);
    case FRAME_DELIVER_APC:  return ki_run_deliver_apc(m, c, t, f);
    case FRAME_WAIT:         return ki_run_wait(m, c, t, f);
    case FRAME_USER_EXIT:    return ki_run_user_exit(m, c, t, f);
    case FRAME_USER_APC:     return ki_run_user_apc(m, c, t, f);
    case FRAME_CHECK_APC:    return ki_run_check_apc(m, c, t, f);
    case FRAME_EXIT_THREAD:  return ki_run_exit_thread(m, c, t, f);
    case FRAME_DETACH:       return ki_run_detach(m, c, t, f);
    case FRAME_SPIN:
        ke_pop_transparent(m, t);     /* its time has been spent */
        return STEP_CONTINUE;
    case FRAME__COUNT:
        break;
    }
    g_assert_not_reached();
}

/* Take a latched software interrupt: push its handler on the current thread.
 * The handler records the interrupted IRQL and mode and restores them. */
static void ki_take_swint(KMACHINE *m, KPRCB *c, int level)
{
    KTHREAD *t = c->current;
    c->swint &= (uint8_t)~(level == DISPATCH_LEVEL ? SWINT_DISPATCH : SWINT_APC);
    ke_trace(m, TR_SWINT_DISPATCH, c->number, t->id, -1, level, c->irql, t->mode, 0, 0, NULL);
    ke_push_frame(m, t, level == DISPATCH_LEVEL ? FRAME_DISPATCH_INT : FRAME_APC_INT);
    /* Taking the interrupt raises IRQL to its level at once, so a lower
     * request latched beside it waits until the handler lowers (R1); the
     * handler runs in kernel mode (the interrupted mode is in the frame and
     * comes back through the return-to-user path, D7). */
    ki_set_irql(m, c, (KIRQL)level);
    ke_set_mode(m, t, KernelMode);
}

/* The end of a software-interrupt handler (its frame f is on top): back to
 * the interrupted IRQL; to kernel code directly, or to user mode through
 * the return-to-user path (D7: Alerted[K] cleared, pending user APCs). */
void ki_interrupt_return(KMACHINE *m, KPRCB *c, KTHREAD *t, KFRAME *f)
{
    KIRQL irql = f->saved_irql;
    bool to_user = f->saved_mode == UserMode;
    ke_pop_transparent(m, t);
    ki_set_irql(m, c, irql);
    if (to_user)
        ke_push_frame(m, t, FRAME_USER_EXIT)->flag = 1;
    else
        ke_set_mode(m, t, KernelMode);
}

void ki_cpu_run(KMACHINE *m, KPRCB *c)
{
    if (c->in_run)
        return;
    c->in_run = true;
    KTHREAD *saved_running = m->running;
    KPRCB *saved_cpu = m->running_cpu;
    int saved_depth = m->running_depth;
    while (!ke_stopping(m) && !c->computing) {
        /* R1: a pending DISPATCH request is serviced before the APC request. */
        if ((c->swint & SWINT_DISPATCH) && c->irql < DISPATCH_LEVEL) {
            ki_take_swint(m, c, DISPATCH_LEVEL);
            continue;
        }
        if ((c->swint & SWINT_APC) && c->irql < APC_LEVEL) {
            ki_take_swint(m, c, APC_LEVEL);
            continue;
        }
        KTHREAD *t = c->current;
        KFRAME *f = ke_top_frame(t);
        g_assert(f != NULL);
        if (f->compute_left > 0) {
            c->computing = true;
            c->compute_start = m->now;
            f->compute_until = m->now + f->compute_left;
            c->compute_event = sim_queue_push(m->q, f->compute_until, EV_COMPUTE_DONE, c->number, 0);
            break;
        }
        if (++m->zero_steps > m->cfg.max_zero_time_steps) {
            m->running = t;
            const char *where = m->runner.where ? m->runner.where(m->runner.ctx) : NULL;
            m->running = saved_running;
            ke_fail(m, StopScenarioError,
                    "%s%sthread %s took %lld steps without simulated time passing "
                    "(an endless loop of kernel calls with no compute()?)", where ? where : "", where ? ": " : "",
                    t->header.name, (long long)m->cfg.max_zero_time_steps);
            break;
        }
        m->running = t;
        m->running_cpu = c;
        m->running_depth = t->nframes;
        int64_t rows_before = m->rows;
        KSTEP s = ki_step(m, c, t, f);
        ke_maybe_check_invariants(m, rows_before);
        m->running = saved_running;
        m->running_cpu = saved_cpu;
        m->running_depth = saved_depth;
        if (s == STEP_HALT) {
            c->halted = true;
            break;
        }
        if (s == STEP_YIELD) {
            /* what else is due at this instant (other CPUs' work) runs first */
            sim_queue_push(m->q, m->now, EV_CPU_RESUME, c->number, 0);
            break;
        }
    }
    c->in_run = false;
}
