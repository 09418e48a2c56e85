/*
 * irql.c - per-CPU IRQL and the software-interrupt latches (R1-R3).
 *
 * IRQL belongs to the CPU; a thread's IRQL is part of its saved context
 * (each frame that raises records the level it restores, and waits record
 * WaitIrql). Lowering IRQL does not run anything here: ki_cpu_run takes a
 * latched request as soon as the IRQL is below its level, DISPATCH first
 * (R1). The scenario bindings yield to the CPU loop when ke_needs_yield()
 * says a request became deliverable, so "KeLowerIrql(PASSIVE_LEVEL)" runs
 * the pending DPCs and then the APCs before the next line of the caller.
 */
#include "ke/ke.h"

void ki_set_irql(KMACHINE *m, KPRCB *c, KIRQL irql)
{
    if (c->irql == irql)
        return;
    ke_trace(m, TR_IRQL, c->number, c->current->id, -1, c->irql, irql, 0, 0, 0, NULL);
    c->irql = irql;
}

/* Latch a software interrupt request on c (KiRequestSoftwareInterrupt, or
 * an IPI when c is not the running CPU). */
void ki_request_software_interrupt(KMACHINE *m, KPRCB *c, int level)
{
    uint8_t bit = level == DISPATCH_LEVEL ? SWINT_DISPATCH : SWINT_APC;
    int from = m->running_cpu ? m->running_cpu->number : c->number;
    if (c->swint & bit)
        return;     /* already latched: a latch is one bit (R1) */
    c->swint |= bit;
    ke_trace(m, TR_SWINT_REQUEST, c->number, c->current->id, -1, level, from, 0, 0, 0, NULL);
    if (c != m->running_cpu)
        ki_cpu_kick(m, c);
}

/* KeRaiseIrql: new_irql must be >= the current IRQL, else bugcheck
 * IRQL_NOT_GREATER_OR_EQUAL (0x9). Caller: the running thread, any IRQL. */
void KeRaiseIrql(KMACHINE *m, KIRQL new_irql, KIRQL *old_irql)
{
    KPRCB *c = m->running_cpu;
    *old_irql = c->irql;
    if (new_irql < c->irql) {
        KeBugCheckEx(m, 0x9 /* IRQL_NOT_GREATER_OR_EQUAL */, c->irql, new_irql, 0, 0);
        return;
    }
    ki_set_irql(m, c, new_irql);
}

/* KeLowerIrql: new_irql must be <= the current IRQL, else bugcheck
 * IRQL_NOT_LESS_OR_EQUAL. Pending software interrupts below the old level
 * become deliverable; the caller yields (ke_needs_yield) so they run before
 * its next statement. */
void KeLowerIrql(KMACHINE *m, KIRQL new_irql)
{
    KPRCB *c = m->running_cpu;
    if (new_irql > c->irql) {
        KeBugCheckEx(m, BUGCODE_IRQL_NOT_LESS_OR_EQUAL, 0, c->irql, new_irql, 0);
        return;
    }
    ki_set_irql(m, c, new_irql);
}
