/*
 * thread.c - KTHREAD creation, the frame stack, thread start-up and exit
 * (PspExitThread / KeTerminateThread, T1, T5).
 *
 * A thread is created Initialized with one base frame, FRAME_THREAD_START,
 * and readied at its start time. Its start-up follows KiThreadStartup:
 * it begins at APC_LEVEL (switched in by the dispatcher, "APC bypass
 * disabled", K2), lowers to PASSIVE_LEVEL - where pending kernel APCs, e.g.
 * the suspend APC of a thread created suspended, run - and a user thread
 * then leaves for user mode through the return-to-user path (D5-D7) before
 * its body starts. A body that returns ends the thread like a
 * self-termination (T1): PspExitThread runs in kernel mode.
 */
#include "ke/ke.h"

#include <assert.h>
#include <string.h>

KTHREAD *ke_thread_create(KMACHINE *m, const KTHREAD_PARAMS *p)
{
    KTHREAD *t = g_new0(KTHREAD, 1);
    t->header.id = t->id = m->next_id++;
    t->header.type = ThreadObject;
    t->header.name = g_strdup(p->name);
    g_queue_init(&t->header.wait_list);
    ke_register_object(m, &t->header);
    t->process = p->process ? p->process : m->system_process;
    t->state = Initialized;
    t->mode = KernelMode;
    t->system = p->system;
    t->priority = t->base_priority = (int8_t)p->priority;
    t->quantum = t->quantum_reset = (int8_t)(m->cfg.quantum * 1);
    uint64_t all = m->ncpus == 64 ? ~(uint64_t)0 : (((uint64_t)1 << m->ncpus) - 1);
    t->affinity = (p->affinity ? p->affinity : all) & all;
    t->cpu = t->affinity ? __builtin_ctzll(t->affinity) : 0;
    t->standby_cpu = -1;
    t->ready_cpu = -1;
    t->ready_link.data = t;
    t->apc_queueable = true;
    ki_apc_state_init(&t->apc_state, t->process);
    ki_apc_state_init(&t->saved_apc_state, NULL);
    t->apc_state_pointer[0] = &t->apc_state;
    t->apc_state_pointer[1] = &t->saved_apc_state;
    g_queue_init(&t->mutant_list);
    t->wait_timer.wait_owner = t;
    t->wait_timer.expired_link.data = &t->wait_timer;
    t->body = p->body;
    t->start_at = p->start_at;
    t->start_suspended = p->suspended;
    t->apc_bypass_off = true;       /* a new thread starts as if switched out at APC_LEVEL (K2) */
    t->idle = p->idle;
    g_ptr_array_add(m->threads, t);
    if (!g_hash_table_contains(m->thread_by_name, t->header.name))
        g_hash_table_insert(m->thread_by_name, t->header.name, t);
    ke_trace_name(m, "thread", t->id, t->header.name);
    ke_trace_name(m, "object", t->id, t->header.name);
    ke_trace(m, TR_THREAD_CREATE, -1, t->id, t->id, t->process->id, t->priority, (int64_t)t->affinity, t->system,
             t->idle ? t->cpu : -1, NULL);
    if (t->idle) {
        ke_push_frame(m, t, FRAME_IDLE);
        return t;
    }
    ke_push_frame(m, t, FRAME_THREAD_START);
    if (p->suspended) {
        /* CREATE_SUSPENDED: suspended before it ever runs; the suspend APC
         * is delivered as its start-up lowers IRQL to PASSIVE (S2). */
        NTSTATUS st;
        KeSuspendThread(m, t, &st);
    }
    m->live_threads++;
    m->pending_starts++;
    sim_queue_push(m->q, p->start_at > m->now ? p->start_at : m->now, EV_THREAD_START, 0, t->id);
    return t;
}

KTHREAD *ke_thread_by_name(KMACHINE *m, const char *name)
{
    return g_hash_table_lookup(m->thread_by_name, name);
}

KAPC *ke_apc_by_id(KMACHINE *m, int32_t id)
{
    return id > 0 && (guint)id < m->apc_by_id->len ? m->apc_by_id->pdata[id] : NULL;
}

/* Push a frame on t. Records the IRQL (of t's CPU if t runs, else
 * PASSIVE) and mode to restore when the frame ends. Frame pointers taken
 * before a push are invalid after it (the stack may move). */
KFRAME *ke_push_frame(KMACHINE *m, KTHREAD *t, KFRAME_KIND kind)
{
    if (t->nframes == t->frames_cap) {
        t->frames_cap = t->frames_cap ? t->frames_cap * 2 : 4;
        t->frames = g_renew(KFRAME, t->frames, t->frames_cap);
    }
    KFRAME *f = &t->frames[t->nframes++];
    memset(f, 0, sizeof *f);
    f->kind = (uint8_t)kind;
    f->saved_irql = (t->state == Running && m->cpu[t->cpu].current == t) ? m->cpu[t->cpu].irql : PASSIVE_LEVEL;
    f->saved_mode = t->mode;
    f->owner_id = -1;
    f->saved_result = t->frame_result;
    return f;
}

void ke_set_mode(KMACHINE *m, KTHREAD *t, int mode)
{
    if (t->mode == mode)
        return;
    ke_trace(m, TR_MODE, t->state == Running ? t->cpu : -1, t->id, -1, t->mode, mode, 0, 0, 0, NULL);
    t->mode = (uint8_t)mode;
}

/* Push scenario code. The mode it runs in follows the routine kind (D9):
 * user-mode APC normal routines in UserMode, the body in the thread's start
 * mode, everything else in KernelMode. */
KFRAME *ke_push_code(KMACHINE *m, KTHREAD *t, KROUTINE_KIND rk, KCODE code, int32_t owner_id)
{
    KFRAME *f = ke_push_frame(m, t, FRAME_CODE);
    f->routine = (uint8_t)rk;
    f->code = code;
    f->owner_id = owner_id;
    int mode = rk == RtUserApcNormal ? UserMode
             : rk == RtThreadBody ? (t->system ? KernelMode : UserMode)
             : KernelMode;
    int cpu = t->state == Running ? t->cpu : -1;
    int irql = cpu >= 0 ? m->cpu[cpu].irql : 0;
    ke_trace(m, TR_ROUTINE_BEGIN, cpu, t->id, owner_id, rk, irql, mode, 0, 0, NULL);
    ke_set_mode(m, t, mode);
    return f;
}

/* Pop the top frame; `result` becomes t->frame_result for the frame below. */
void ke_pop_frame(KMACHINE *m, KTHREAD *t, int64_t result)
{
    assert(t->nframes > 0);
    KFRAME *f = &t->frames[t->nframes - 1];
    if (f->kind == FRAME_CODE) {
        if (m->started && !ke_stopping(m)) {
            int cpu = t->state == Running ? t->cpu : -1;
            ke_trace(m, TR_ROUTINE_END, cpu, t->id, f->owner_id, f->routine, cpu >= 0 ? m->cpu[cpu].irql : 0, 0,
                     0, 0, NULL);
        }
        if (m->runner.release)
            m->runner.release(m->runner.ctx, f);
        int mode = f->saved_mode;
        t->nframes--;
        if (t->unwinding)
            ;   /* an exiting thread never returns to the modes of its frames */
        else if (m->started && !ke_stopping(m))
            ke_set_mode(m, t, mode);
        else
            t->mode = (uint8_t)mode;
    } else {
        if (f->kind == FRAME_DELIVER_APC || f->kind == FRAME_USER_APC)
            g_free(f->ptr);
        t->nframes--;
    }
    t->frame_result = result;
}

void ke_pop_transparent(KMACHINE *m, KTHREAD *t)
{
    ke_pop_frame(m, t, ke_top_frame(t)->saved_result);
}

enum { TS_START = 0, TS_PASSIVE, TS_BODY, TS_BODY_DONE };

/* KiThreadStartup + PspUserThreadStartup. */
KSTEP ki_run_thread_start(KMACHINE *m, KPRCB *c, KTHREAD *t, KFRAME *f)
{
    switch (f->pc) {
    case TS_START:
        ki_set_irql(m, c, APC_LEVEL);
        f->pc = TS_PASSIVE;
        return STEP_CONTINUE;
    case TS_PASSIVE:
        /* Pending kernel APCs (the suspend APC of a CREATE_SUSPENDED
         * thread) are delivered as the IRQL reaches PASSIVE. */
        ki_set_irql(m, c, PASSIVE_LEVEL);
        f->pc = TS_BODY;
        if (!t->system) {
            ke_push_frame(m, t, FRAME_USER_EXIT)->flag = 2;   /* first entry to user mode */
            return STEP_CONTINUE;
        }
        /* fall through */
    case TS_BODY:
        f->pc = TS_BODY_DONE;
        ke_push_code(m, t, RtThreadBody, t->body, -1);
        return STEP_CONTINUE;
    case TS_BODY_DONE:
        /* The body returned: ExitThread(code) - a self-termination (T1),
         * entered as a system call from user mode. Like T1 it sets the
         * Terminated flag, so a termination request that comes while the
         * thread exits gets STATUS_SUCCESS and no exit APC (T2). */
        t->terminating = true;
        t->exit_status = (NTSTATUS)t->frame_result;
        ke_pop_frame(m, t, 0);
        if (t->mode == UserMode) {
            ke_trace(m, TR_SYSCALL_ENTER, c->number, t->id, -1, 0, 0, 0, 0, 0, "NtTerminateThread");
            ke_set_mode(m, t, KernelMode);
        }
        ke_push_frame(m, t, FRAME_EXIT_THREAD);
        return STEP_CONTINUE;
    }
    g_assert_not_reached();
}

enum { EX_START = 0, EX_AFTER_LEAVE, EX_RUNDOWN_USER, EX_RUNDOWN_DONE, EX_FINISH, EX_LOWERED };

/* PspExitThread (T5), the APC-relevant steps in their order. */
KSTEP ki_run_exit_thread(KMACHINE *m, KPRCB *c, KTHREAD *t, KFRAME *f)
{
    switch (f->pc) {
    case EX_START:
        if (t->apc_state_index != 0) {      /* E7 */
            KeBugCheckEx(m, BUGCODE_INVALID_PROCESS_ATTACH_ATTEMPT, (uint64_t)t->apc_state.process->id,
                         (uint64_t)t->process->id, t->apc_state_index, 0);
            return STEP_CONTINUE;
        }
        ki_set_irql(m, c, PASSIVE_LEVEL);
        f->pc = EX_LOWERED;
        return STEP_CONTINUE;       /* an APC interrupt latched at APC_LEVEL is taken now (T5, R1) */
    case EX_LOWERED:
        if (t->kernel_apc_disable != 0 || t->special_apc_disable != 0) {
            KeBugCheckEx(m, BUGCODE_KERNEL_APC_PENDING_DURING_EXIT, 0,
                         (uint64_t)(int64_t)t->kernel_apc_disable, (uint64_t)(int64_t)t->special_apc_disable, 0);
            return STEP_CONTINUE;
        }
        ki_timer_rundown(m, t);
        /* KeRundownThread: an owned KMUTEX is fatal, mutants are abandoned. */
        for (GList *l = t->mutant_list.head; l; l = l->next) {
            KMUTANT *mu = l->data;
            if (mu->apc_disable) {
                KeBugCheckEx(m, BUGCODE_THREAD_TERMINATE_HELD_MUTEX, (uint64_t)t->id, (uint64_t)mu->header.id, 0, 0);
                return STEP_CONTINUE;
            }
        }
        ki_abandon_mutants(m, t);
        /* Enter a critical region, no more APCs, force-resume, leave: pending
         * deliverable kernel APCs (e.g. the suspend APC) run here. */
        ki_set_kad(m, t, t->kernel_apc_disable - 1);
        ke_trace_field(m, t, FLD_APC_QUEUEABLE, t->apc_queueable, 0);
        t->apc_queueable = false;
        KeForceResumeThread(m, t);
        ki_set_kad(m, t, t->kernel_apc_disable + 1);
        f->pc = EX_AFTER_LEAVE;
        if (!ki_kernel_list_empty(&t->apc_state) && t->special_apc_disable == 0) {
            ki_check_for_kernel_apc_delivery(m, t);
            return STEP_CONTINUE;
        }
        /* fall through */
    case EX_AFTER_LEAVE:
    case EX_RUNDOWN_USER: {
        /* Flush the user queue: each APC's rundown routine, or a free
         * (A7: NR and KR are never called). */
        GList *l = g_queue_pop_head_link(&t->apc_state.list[UserMode]);
        if (l) {
            KAPC *apc = l->data;
            apc->inserted = false;
            apc->state = NULL;
            ke_trace(m, TR_APC_DEQUEUE, c->number, t->id, apc->id, 0, UserMode, 2 /* rundown */, 0, 0, NULL);
            ki_count_apc(m, apc, KSTAT_RUNDOWN);
            f->pc = EX_RUNDOWN_USER;
            if (apc->has_rundown_routine && apc->internal == ApcScenario) {
                /* built-in rundown routines (PspExitApcRundown, KiSuspendRundown,
                 * IopAbortRequest) only free the KAPC: nothing to run */
                KCODE none = { 0, 0 };
                ke_push_code(m, t, RtRundownRoutine, none, apc->id);
                return STEP_CONTINUE;
            }
            apc->freed = true;
            return STEP_CONTINUE;
        }
        f->pc = EX_RUNDOWN_DONE;
    }
        /* fall through */
    case EX_RUNDOWN_DONE:
        /* The kernel queue must be empty now. */
        if (!ki_kernel_list_empty(&t->apc_state)) {
            KAPC *apc = t->apc_state.list[KernelMode].head->data;
            KeBugCheckEx(m, BUGCODE_KERNEL_APC_PENDING_DURING_EXIT, (uint64_t)apc->id,
                         (uint64_t)(int64_t)t->kernel_apc_disable, (uint64_t)(int64_t)t->special_apc_disable, 0);
            return STEP_CONTINUE;
        }
        /* fall through */
    case EX_FINISH: {
        /* KeTerminateThread: signal the thread object, Terminated, never
         * scheduled again. */
        ke_trace(m, TR_THREAD_EXIT, c->number, t->id, -1, t->exit_status, 0, 0, 0, 0, NULL);
        t->unwinding = true;
        while (t->nframes)
            ke_pop_frame(m, t, 0);
        t->wait_irql = PASSIVE_LEVEL;
        ki_set_state(m, t, Terminated);
        m->live_threads--;
        ki_set_signal_state(m, &t->header, 1);
        ki_signal_object(m, &t->header, 0);
        ki_switch_out_current(m, c);
        return STEP_SWITCHED;
    }
    }
    g_assert_not_reached();
}
