/*
 * object.c - dispatcher objects: events (notification, synchronization),
 * semaphores, mutants and KMUTEX (R8), timers, and the wait test that
 * satisfies waiters when an object is signaled (KiWaitTest, W3, W5).
 *
 * Signal state follows NT: events and timers 0/1, a semaphore its count, a
 * mutant 1 when free and 1 - recursion when owned, a thread 1 once it ended.
 * Satisfying a wait mutates the object at signal time, in the waker, as NT
 * does - which is why a pulse can be missed by a thread that was unwaited
 * for a kernel APC (W4).
 *
 * Waiters are tested in wait-list order (FIFO), so threads readied by one
 * operation enter the ready queues in the order they began to wait (K3b).
 */
#include "ke/ke.h"

#include <assert.h>

void ke_register_object(KMACHINE *m, DISPATCHER_HEADER *h)
{
    if ((guint)h->id >= m->by_id->len)
        g_ptr_array_set_size(m->by_id, h->id + 1);
    m->by_id->pdata[h->id] = h;
}

DISPATCHER_HEADER *ke_object_by_id(KMACHINE *m, int32_t id)
{
    if (id <= 0 || (guint)id >= m->by_id->len)
        return NULL;
    return m->by_id->pdata[id];
}

static void *ki_object_new(KMACHINE *m, size_t size, KOBJECT_TYPE type, const char *name,
                           int32_t signal, int32_t limit, int subtype)
{
    DISPATCHER_HEADER *h = g_malloc0(size);
    h->id = m->next_id++;
    h->type = (uint8_t)type;
    h->signal_state = signal;
    h->name = g_strdup(name);
    g_queue_init(&h->wait_list);
    g_ptr_array_add(m->objects, h);
    ke_register_object(m, h);
    ke_trace_name(m, "object", h->id, h->name);
    ke_trace(m, TR_OBJECT_CREATE, -1, -1, h->id, type, signal, limit, subtype, 0, NULL);
    return h;
}

KEVENT *ke_event_create(KMACHINE *m, const char *name, bool notification, bool signaled)
{
    return ki_object_new(m, sizeof(KEVENT), notification ? EventNotificationObject : EventSynchronizationObject,
                         name, signaled ? 1 : 0, 0, 0);
}

KSEMAPHORE *ke_semaphore_create(KMACHINE *m, const char *name, int32_t count, int32_t limit)
{
    KSEMAPHORE *s = ki_object_new(m, sizeof(KSEMAPHORE), SemaphoreObject, name, count, limit, 0);
    s->limit = limit;
    return s;
}

KMUTANT *ke_mutant_create(KMACHINE *m, const char *name, bool kmutex)
{
    KMUTANT *mu = ki_object_new(m, sizeof(KMUTANT), MutantObject, name, 1, 0, kmutex ? 1 : 0);
    mu->apc_disable = kmutex;
    mu->owner_link.data = mu;
    return mu;
}

KTIMER *ke_timer_create(KMACHINE *m, const char *name, bool notification)
{
    KTIMER *t = ki_object_new(m, sizeof(KTIMER), notification ? TimerNotificationObject : TimerSynchronizationObject,
                              name, 0, 0, 0);
    t->due = -1;
    t->expired_link.data = t;
    return t;
}

void ki_set_signal_state(KMACHINE *m, DISPATCHER_HEADER *h, int32_t v)
{
    if (h->signal_state == v)
        return;
    ke_trace(m, TR_SIGNAL, m->running_cpu ? m->running_cpu->number : -1, m->running ? m->running->id : -1,
             h->id, h->signal_state, v, 0, 0, 0, NULL);
    h->signal_state = v;
}

bool ki_object_satisfiable(DISPATCHER_HEADER *h, KTHREAD *t)
{
    if (h->type == MutantObject)
        return h->signal_state > 0 || ((KMUTANT *)h)->owner == t;
    return h->signal_state > 0;
}

static void ki_trace_owner(KMACHINE *m, KMUTANT *mu)
{
    ke_trace(m, TR_MUTANT_OWNER, -1, mu->owner ? mu->owner->id : -1, mu->header.id,
             mu->owner ? mu->owner->id : -1, 1 - mu->header.signal_state, mu->abandoned, 0, 0, NULL);
}

/* Consume one unit of the object's signal for t (KiWaitSatisfyAny). */
void ki_object_satisfy(KMACHINE *m, DISPATCHER_HEADER *h, KTHREAD *t)
{
    switch (h->type) {
    case EventSynchronizationObject:
    case TimerSynchronizationObject:
        ki_set_signal_state(m, h, 0);
        break;
    case SemaphoreObject:
        ki_set_signal_state(m, h, h->signal_state - 1);
        break;
    case MutantObject: {
        KMUTANT *mu = (KMUTANT *)h;
        ki_set_signal_state(m, h, h->signal_state - 1);
        if (h->signal_state == 0) {
            /* newly owned */
            mu->owner = t;
            mu->abandoned = false;
            g_queue_push_tail_link(&t->mutant_list, &mu->owner_link);
            if (mu->apc_disable)
                ki_set_kad(m, t, t->kernel_apc_disable - 1);    /* R8: implicit critical region */
        }
        ki_trace_owner(m, mu);
        break;
    }
    default:
        break;      /* notification events/timers, threads: not consumed */
    }
}

/* KiWaitTest: satisfy waiters of h in wait-list order while it stays
 * signaled. WaitAny waiters get their index (abandoned mutant: +0x80).
 * A WaitAll waiter is never satisfied here: it is unwaited with
 * STATUS_KERNEL_APC and re-evaluates all its objects through W1 when it runs
 * again (W5, WRK KiWaitTest), so h stays signaled for the waiters behind it. */
void ki_signal_object(KMACHINE *m, DISPATCHER_HEADER *h, int increment)
{
    GList *l = h->wait_list.head;
    while (l && h->signal_state > 0) {
        KWAIT_BLOCK *wb = l->data;
        KTHREAD *t = wb->thread;
        if (wb->wait_type == WaitAny) {
            if (!ki_object_satisfiable(h, t)) {
                l = l->next;
                continue;
            }
            bool abandoned = h->type == MutantObject && ((KMUTANT *)h)->abandoned;
            ki_object_satisfy(m, h, t);
            ki_unwait_thread(m, t, (abandoned ? STATUS_ABANDONED_WAIT_0 : STATUS_WAIT_0) + wb->wait_key, increment);
        } else {
            ki_unwait_thread(m, t, STATUS_KERNEL_APC, increment);       /* W5 */
        }
        l = h->wait_list.head;      /* the unwait unlinked blocks: start over */
    }
}

int32_t KeSetEvent(KMACHINE *m, KEVENT *e, int increment)
{
    int32_t old = e->header.signal_state;
    if (old == 0) {
        ki_set_signal_state(m, &e->header, 1);
        ki_signal_object(m, &e->header, increment);
    }
    return old;
}

int32_t KeResetEvent(KMACHINE *m, KEVENT *e)
{
    int32_t old = e->header.signal_state;
    ki_set_signal_state(m, &e->header, 0);
    return old;
}

/* KePulseEvent: set, satisfy whoever waits now, reset (W4: a thread that
 * is not linked to the event at this instant misses it). */
int32_t KePulseEvent(KMACHINE *m, KEVENT *e, int increment)
{
    int32_t old = e->header.signal_state;
    if (old == 0) {
        ki_set_signal_state(m, &e->header, 1);
        ki_signal_object(m, &e->header, increment);
    }
    ki_set_signal_state(m, &e->header, 0);
    return old;
}

int32_t KeReleaseSemaphore(KMACHINE *m, KSEMAPHORE *s, int increment, int32_t adjustment, NTSTATUS *status)
{
    int32_t old = s->header.signal_state;
    if (adjustment <= 0 || (int64_t)old + adjustment > s->limit) {
        *status = STATUS_SEMAPHORE_LIMIT_EXCEEDED;
        return -1;
    }
    *status = STATUS_SUCCESS;
    ki_set_signal_state(m, &s->header, old + adjustment);
    if (old == 0)
        ki_signal_object(m, &s->header, increment);
    return old;
}

/* KeReleaseMutant / KeReleaseMutex. abandon = released by the rundown of
 * its dying owner (T5). Leaving a KMUTEX leaves its implicit critical
 * region (R8), which may deliver kernel APCs (R4/R6: may push a frame). */
int32_t KeReleaseMutant(KMACHINE *m, KMUTANT *mu, int increment, bool abandon, NTSTATUS *status)
{
    int32_t old = mu->header.signal_state;
    KTHREAD *owner = mu->owner;
    *status = STATUS_SUCCESS;
    if (abandon) {
        ki_set_signal_state(m, &mu->header, 1);
        mu->abandoned = true;
    } else {
        if (!owner || owner != m->running) {
            *status = STATUS_MUTANT_NOT_OWNED;
            return old;
        }
        ki_set_signal_state(m, &mu->header, old + 1);
    }
    if (mu->header.signal_state == 1) {
        g_queue_unlink(&owner->mutant_list, &mu->owner_link);
        mu->owner = NULL;
        ki_trace_owner(m, mu);
        if (mu->apc_disable && !abandon) {
            /* KeLeaveCriticalRegion semantics for the implicit region (R8, R4) */
            ki_set_kad(m, owner, owner->kernel_apc_disable + 1);
            if (owner->kernel_apc_disable == 0 && !ki_kernel_list_empty(&owner->apc_state) &&
                owner->special_apc_disable == 0)
                ki_check_for_kernel_apc_delivery(m, owner);
        }
        ki_signal_object(m, &mu->header, increment);
    } else {
        ki_trace_owner(m, mu);
    }
    return old;
}

/* Abandon every mutant t owns (KeRundownThread, T5): waiters are tested
 * with MUTANT_INCREMENT and get STATUS_ABANDONED_WAIT_n. */
void ki_abandon_mutants(KMACHINE *m, KTHREAD *t)
{
    GList *l;
    while ((l = t->mutant_list.head) != NULL) {
        KMUTANT *mu = l->data;
        NTSTATUS st;
        KeReleaseMutant(m, mu, KE_MUTANT_INCREMENT, true, &st);
    }
}

sim_time_t ki_due_time(KMACHINE *m, sim_time_t relative)
{
    sim_time_t due = m->now + (relative < 0 ? 0 : relative);
    if (m->cfg.timer_resolution_tick && relative > 0) {
        sim_time_t tick = m->cfg.clock_tick;
        due = ((due + tick - 1) / tick) * tick;     /* first tick at or after the due time */
    }
    return due;
}

/* Arm a timer at an absolute time (engine event). */
static void ki_timer_arm(KMACHINE *m, KTIMER *tm, sim_time_t due, int64_t id_payload)
{
    tm->due = due;
    tm->inserted = true;
    tm->event = sim_queue_push(m->q, due, EV_TIMER, 0, id_payload);
}

static void ki_timer_disarm(KMACHINE *m, KTIMER *tm)
{
    if (!tm->inserted)
        return;
    if (tm->event)
        sim_queue_cancel(m->q, tm->event);
    else
        g_queue_unlink(&m->expired_timers, &tm->expired_link);   /* expired, not yet processed */
    tm->event = 0;
    tm->inserted = false;
}

/* KeSetTimer(Ex): relative due time, optional period. Returns TRUE if the
 * timer was already set (it is re-armed). Resets the signal state. */
bool KeSetTimer(KMACHINE *m, KTIMER *tm, sim_time_t due_relative, sim_time_t period, KAPC *apc)
{
    bool was = tm->inserted;
    ki_timer_disarm(m, tm);
    ki_set_signal_state(m, &tm->header, 0);
    tm->period = period;
    tm->apc = apc;
    ki_timer_arm(m, tm, ki_due_time(m, due_relative), tm->header.id);
    ke_trace(m, TR_TIMER_SET, m->running_cpu ? m->running_cpu->number : -1, m->running ? m->running->id : -1,
             tm->header.id, tm->due, period, 0, 0, 0, NULL);
    return was;
}

bool KeCancelTimer(KMACHINE *m, KTIMER *tm)
{
    bool was = tm->inserted;
    if (was) {
        ki_timer_disarm(m, tm);
        ke_trace(m, TR_TIMER_CANCEL, -1, -1, tm->header.id, 0, 0, 0, 0, 0, NULL);
    }
    return was;
}

/* ExTimerRundown (T5): cancel every timer whose expiry APC targets t and
 * take that APC off t's queue if it waits there; the timer carries no APC
 * any more (ApcAssociated = FALSE). */
void ki_timer_rundown(KMACHINE *m, KTHREAD *t)
{
    for (guint i = 0; i < m->objects->len; i++) {
        DISPATCHER_HEADER *h = m->objects->pdata[i];
        if (h->type != TimerNotificationObject && h->type != TimerSynchronizationObject)
            continue;
        KTIMER *tm = (KTIMER *)h;
        if (!tm->apc || tm->apc->thread != t)
            continue;
        KeCancelTimer(m, tm);
        KeRemoveQueueApc(m, tm->apc);
        tm->apc = NULL;
    }
}

/* Arm the built-in wait timer of t for a wait's timeout (W8). */
void ki_wait_timer_arm(KMACHINE *m, KTHREAD *t, sim_time_t due)
{
    ki_timer_arm(m, &t->wait_timer, due, -(int64_t)t->id);
}

void ki_wait_timer_cancel(KMACHINE *m, KTHREAD *t)
{
    ki_timer_disarm(m, &t->wait_timer);
}

/* Timer expiry, from CPU 0's DPC retirement (KiTimerExpiration). */
void ki_timer_expire(KMACHINE *m, KTIMER *tm)
{
    tm->inserted = false;
    if (tm->wait_owner) {
        ki_wait_timeout(m, tm->wait_owner);
        return;
    }
    ke_trace(m, TR_TIMER_EXPIRE, 0, m->cpu[0].current->id, tm->header.id, 0, 0, 0, 0, 0, NULL);
    ki_set_signal_state(m, &tm->header, 1);
    ki_signal_object(m, &tm->header, 0);
    /* The timer DPC queues the timer's user APC (SetWaitableTimer's
     * completion routine) to the thread that set it; an APC still queued
     * from the previous period is not queued twice (I2). */
    if (tm->apc)
        KeInsertQueueApc(m, tm->apc, 0);
    if (tm->period > 0)
        ki_timer_arm(m, tm, tm->due + tm->period, tm->header.id);
}
