/*
 * apc.c - APC objects, the two queues of both APC states, insertion,
 * delivery, regions and alerts (SEMANTICS.md 1.A-1.F).
 *
 * Queues: each KAPC_STATE has a kernel list shaped [SK...SK][NK...NK] (I5)
 * and a user list. ApcStatePointer[Idx] selects the block an environment
 * index means (E1-E3); an APC for an index that is not current is parked
 * without any signalling (I6).
 *
 * Delivery is the FRAME_DELIVER_APC program, KiDeliverApc (D1-D4):
 *   - KAP := FALSE first, always; SAD != 0 returns at once (D2);
 *   - the kernel loop always looks at the head of the kernel list (so an SK
 *     inserted meanwhile is next): SK -> KR at APC_LEVEL; NK -> stop the
 *     whole call if KAIP or KAD != 0, else KR at APC_LEVEL and, if the KR
 *     left an NR, KAIP := TRUE, NR at PASSIVE, back to APC_LEVEL (D3);
 *   - the user phase (mode User, UAP, list non-empty): UAP := FALSE, KR at
 *     APC_LEVEL; a cancelled NR calls KeTestAlertThread(User), else the NR
 *     is handed to the return-to-user path to run in user mode (D4, D5).
 * Every routine runs as scenario code in its own frame; the KR's changes to
 * the normal routine, context and arguments are kept by the runner's call
 * (A6 copies), never in the KAPC, so a KR may re-insert its own APC.
 *
 * Insertion is KiInsertQueueApc (I2-I9); the profile decides the [DIFF]
 * rows 1 (self-insert of a blocked NK) and 5 (environment of an APC aimed
 * at a non-current index).
 */
#include "ke/ke.h"

#include <assert.h>
#include <string.h>

void ki_apc_state_init(KAPC_STATE *s, KPROCESS *p)
{
    g_queue_init(&s->list[KernelMode]);
    g_queue_init(&s->list[UserMode]);
    s->process = p;
    s->kernel_apc_in_progress = s->kernel_apc_pending = s->user_apc_pending = false;
}

bool ki_kernel_list_empty(const KAPC_STATE *s)
{
    return g_queue_is_empty((GQueue *)&s->list[KernelMode]);
}

/* ---- traced field setters -------------------------------------------- */

static int ki_state_index(KTHREAD *t, KAPC_STATE *s)
{
    return s == &t->apc_state ? 0 : s == &t->saved_apc_state ? 1 : 2;
}

void ki_set_kad(KMACHINE *m, KTHREAD *t, int v)
{
    ke_trace_field(m, t, FLD_KERNEL_APC_DISABLE, t->kernel_apc_disable, v);
    t->kernel_apc_disable = (int16_t)v;
}

void ki_set_sad(KMACHINE *m, KTHREAD *t, int v)
{
    ke_trace_field(m, t, FLD_SPECIAL_APC_DISABLE, t->special_apc_disable, v);
    t->special_apc_disable = (int16_t)v;
}

/* The FIELD row of a pending flag names its block: ApcState, SavedApcState,
 * or a KeStackAttachProcess buffer (the one the APC_DEQUEUE row before it
 * took an APC from: only KeRemoveQueueApc changes a buffer's flags). */
void ki_set_kap(KMACHINE *m, KTHREAD *t, KAPC_STATE *s, bool v)
{
    static const KTHREAD_FIELD by_index[] = { FLD_KERNEL_APC_PENDING, FLD_SAVED_KAP, FLD_BUFFER_KAP };
    ke_trace_field(m, t, by_index[ki_state_index(t, s)], s->kernel_apc_pending, v);
    s->kernel_apc_pending = v;
}

void ki_set_uap(KMACHINE *m, KTHREAD *t, KAPC_STATE *s, bool v)
{
    static const KTHREAD_FIELD by_index[] = { FLD_USER_APC_PENDING, FLD_SAVED_UAP, FLD_BUFFER_UAP };
    ke_trace_field(m, t, by_index[ki_state_index(t, s)], s->user_apc_pending, v);
    s->user_apc_pending = v;
}

static void ki_set_kaip(KMACHINE *m, KTHREAD *t, bool v)
{
    ke_trace_field(m, t, FLD_KERNEL_APC_IN_PROGRESS, t->apc_state.kernel_apc_in_progress, v);
    t->apc_state.kernel_apc_in_progress = v;
}

void ki_set_alerted(KMACHINE *m, KTHREAD *t, int mode, bool v)
{
    ke_trace_field(m, t, mode == KernelMode ? FLD_ALERTED_KERNEL : FLD_ALERTED_USER, t->alerted[mode], v);
    t->alerted[mode] = v;
}

/* ---- objects and insertion ---------------------------------------------- */

/* KeInitializeApc (A1-A4): records everything, touches no queue or flag.
 * A special APC (no NR) is forced to KernelMode (A2). CurrentApcEnvironment
 * is resolved now (A4). The scenario-side routines are the runner's. */
KAPC *KeInitializeApc(KMACHINE *m, KTHREAD *t, KAPC_ENVIRONMENT env, KPROCESSOR_MODE mode,
                      bool normal_routine, bool rundown_routine, const char *name)
{
    KAPC *a = g_new0(KAPC, 1);
    a->id = m->next_apc_id++;
    a->name = g_strdup(name);
    a->thread = t;
    a->link.data = a;
    a->has_normal_routine = normal_routine;
    a->has_rundown_routine = rundown_routine;
    a->apc_mode = normal_routine ? (uint8_t)mode : KernelMode;               /* A2, A3 */
    a->environment = env == CurrentApcEnvironment ? t->apc_state_index : (uint8_t)env;   /* A4 */
    g_ptr_array_add(m->apcs, a);
    if ((guint)a->id >= m->apc_by_id->len)
        g_ptr_array_set_size(m->apc_by_id, a->id + 1);
    m->apc_by_id->pdata[a->id] = a;
    ke_trace_name(m, "apc", a->id, a->name);
    int kind = !normal_routine ? ApcSpecialKernel : a->apc_mode == KernelMode ? ApcNormalKernel : ApcUser;
    ke_trace(m, TR_APC_INIT, m->running_cpu ? m->running_cpu->number : -1, m->running ? m->running->id : -1,
             a->id, kind, a->environment, a->apc_mode, t->id, 0, NULL);
    return a;
}

/* "A normal kernel APC is in progress" as the NK tests see it (D3, I8): KAIP;
 * win10 also counts the special-APC-in-progress bit ([DIFF] row 2). */
static bool ki_any_in_progress(KMACHINE *m, KTHREAD *t)
{
    return t->apc_state.kernel_apc_in_progress || (m->cfg.profile == ProfileWin10 && t->special_apc_in_progress);
}

void ki_set_special_user_pending(KMACHINE *m, KTHREAD *t, bool v);
void ki_set_special_user_pending(KMACHINE *m, KTHREAD *t, bool v)
{
    ke_trace_field(m, t, FLD_SPECIAL_USER_APC_PENDING, t->special_user_apc_pending, v);
    t->special_user_apc_pending = v;
}

/* Request an APC interrupt for t on the CPU running it (IPI if remote). */
static void ki_request_apc_for(KMACHINE *m, KTHREAD *t)
{
    ki_request_software_interrupt(m, ke_cpu_of(m, t), APC_LEVEL);
}

/* KiInsertQueueApc (I3-I9): no Q check; returns FALSE only if inserted. */
bool ki_insert_queue_apc(KMACHINE *m, KAPC *apc, int increment)
{
    KTHREAD *t = apc->thread;
    if (apc->inserted)
        return false;
    /* A4: InsertApcEnvironment resolves now; the result is written back. */
    if (apc->environment == InsertApcEnvironment)
        apc->environment = t->apc_state_index;
    KAPC_STATE *s;
    if (m->cfg.profile == ProfileWin10) {
        /* [DIFF] row 5: only Original-while-attached goes to SAS; any other
         * APC goes to the live AS and takes its index. */
        if (apc->environment == OriginalApcEnvironment && t->apc_state_index == 1) {
            s = &t->saved_apc_state;
        } else {
            apc->environment = t->apc_state_index;
            s = &t->apc_state;
        }
    } else
        s = t->apc_state_pointer[apc->environment];     /* I4 */
    int mode = apc->apc_mode;
    GQueue *list = &s->list[mode];
    int pos;
    apc->inserted = true;
    apc->state = s;
    if (mode == UserMode && apc->internal == ApcExit) {
        /* I5: the exit APC goes to the head of the user list, UAP at once. */
        g_queue_push_head_link(list, &apc->link);
        pos = QposHead;
    } else if (!apc->has_normal_routine) {
        /* I5: an SK goes after the last SK, before the first NK. */
        GList *l = list->head;
        while (l && !((KAPC *)l->data)->has_normal_routine)
            l = l->next;
        if (l)
            g_queue_insert_before_link(list, l, &apc->link);
        else
            g_queue_push_tail_link(list, &apc->link);
        pos = QposAfterSpecials;
    } else if (mode == UserMode && apc->special_user) {
        /* SU2 [UNCERTAIN]: special user APCs ahead of regular ones - but
         * behind an exit APC at the head (T3, T4: it runs first) */
        GList *l = list->head;
        if (l && ((KAPC *)l->data)->internal == ApcExit)
            l = l->next;
        while (l && ((KAPC *)l->data)->special_user)
            l = l->next;
        if (l)
            g_queue_insert_before_link(list, l, &apc->link);
        else
            g_queue_push_tail_link(list, &apc->link);
        pos = QposAfterSpecials;
    } else {
        g_queue_push_tail_link(list, &apc->link);
        pos = QposTail;
    }
    ke_trace(m, TR_APC_INSERT, m->running_cpu ? m->running_cpu->number : -1, t->id, apc->id, ki_state_index(t, s),
             mode, pos, increment, apc->environment, NULL);
    ki_count_apc(m, apc, KSTAT_INSERTED);
    if (mode == UserMode && apc->internal == ApcExit)
        ki_set_uap(m, t, s, true);

    /* I6: no signalling for an environment that is not current. */
    if (s != &t->apc_state)
        return true;

    bool self = t == m->running;
    if (mode == KernelMode) {
        if (self) {
            /* I7. [DIFF] row 1, win10: only if deliverable now, which I7
             * defines as CAD == 0, or an SK with SAD == 0 (KernelApcInProgress
             * is not part of the test: an NK self-inserted by a normal routine
             * sets KAP, and the delivery loop runs it after that routine). */
            bool deliverable = t->special_apc_disable == 0 &&
                               (!apc->has_normal_routine || t->kernel_apc_disable == 0);
            if (m->cfg.profile == ProfileWin10 && !deliverable)
                return true;
            ki_set_kap(m, t, s, true);
            if (t->special_apc_disable == 0)
                ki_request_apc_for(m, t);
            return true;
        }
        /* I8 */
        ki_set_kap(m, t, s, true);
        if (t->state == Running) {
            ki_request_apc_for(m, t);
        } else if (t->state == Waiting && t->wait_irql == PASSIVE_LEVEL && t->special_apc_disable == 0 &&
                   (!apc->has_normal_routine ||
                    (t->kernel_apc_disable == 0 && !ki_any_in_progress(m, t)))) {
            ki_unwait_thread(m, t, STATUS_KERNEL_APC, increment);
        }
        return true;
    }
    if (apc->special_user) {
        /* SU1, SU2 (win10): its own pending bit; an alertable user-mode wait
         * ends, a thread running user code is interrupted, anything else
         * (a system call, a non-alertable wait, Ready after a preemption:
         * SU1b) runs it at its next return to user mode. */
        ki_set_special_user_pending(m, t, true);
        if (t->state == Waiting && t->wait_mode == UserMode && t->alertable)
            ki_unwait_thread(m, t, STATUS_USER_APC, increment);
        else if (t->state == Running && t->mode == UserMode)
            ki_request_apc_for(m, t);
        return true;
    }
    /* user APC: I7 (self) nothing; I8 wake an alertable user-mode waiter */
    if (!self && t->state == Waiting && t->wait_mode == UserMode &&
        (t->alertable || t->apc_state.user_apc_pending)) {
        ki_set_uap(m, t, s, true);
        ki_unwait_thread(m, t, STATUS_USER_APC, increment);
    }
    return true;
}

/* KeInsertQueueApc (I1, I2): IRQL <= DISPATCH_LEVEL. FALSE with no side
 * effect at all if the target is not queueable or the APC is inserted. */
bool KeInsertQueueApc(KMACHINE *m, KAPC *apc, int increment)
{
    KTHREAD *t = apc->thread;
    if (m->running_cpu && m->running_cpu->irql > DISPATCH_LEVEL) {
        KeBugCheckEx(m, BUGCODE_IRQL_NOT_LESS_OR_EQUAL, 0, m->running_cpu->irql, 0, 0);   /* I1 */
        return false;
    }
    if (!t->apc_queueable || apc->inserted) {
        ke_trace(m, TR_APC_REFUSED, m->running_cpu ? m->running_cpu->number : -1, t->id, apc->id,
                 !t->apc_queueable ? RefuseNotQueueable : RefuseAlreadyInserted, 0, 0, 0, 0, NULL);
        return false;
    }
    return ki_insert_queue_apc(m, apc, increment);
}

const char *ke_apc_stat_kind_name(int kind)
{
    static const char *const names[KSTAT_KINDS] = { "special kernel", "normal kernel", "user" };
    return kind >= 0 && kind < KSTAT_KINDS ? names[kind] : "?";
}

int ke_apc_stat_kind(const KAPC *apc)
{
    return apc->apc_mode == UserMode ? KSTAT_USER : apc->has_normal_routine ? KSTAT_NORMAL : KSTAT_SPECIAL;
}

/* KSTATS: an insertion (KSTAT_INSERTED) or how an APC left its queue. */
void ki_count_apc(KMACHINE *m, const KAPC *apc, int fate)
{
    m->stats.apc[ke_apc_stat_kind(apc)][fate]++;
}

static void ki_unlink_apc(KMACHINE *m, KAPC *apc, int why)
{
    static const int fate[] = { KSTAT_DELIVERED, KSTAT_REMOVED, KSTAT_RUNDOWN, KSTAT_REMOVED };
    ki_count_apc(m, apc, fate[why]);
    KTHREAD *t = apc->thread;
    KAPC_STATE *s = apc->state;
    g_queue_unlink(&s->list[apc->apc_mode], &apc->link);
    apc->inserted = false;
    apc->state = NULL;
    ke_trace(m, TR_APC_DEQUEUE, t->state == Running ? t->cpu : -1, t->id, apc->id, ki_state_index(t, s),
             apc->apc_mode, why, 0, 0, NULL);
}

/* KeRemoveQueueApc (I10): returns the previous Inserted; clears KAP/UAP of
 * the block when its list becomes empty. Calls no routine. */
bool KeRemoveQueueApc(KMACHINE *m, KAPC *apc)
{
    if (!apc->inserted)
        return false;
    KAPC_STATE *s = apc->state;
    int mode = apc->apc_mode;
    KTHREAD *t = apc->thread;
    ki_unlink_apc(m, apc, 1 /* removed */);
    if (g_queue_is_empty(&s->list[mode])) {
        if (mode == KernelMode)
            ki_set_kap(m, t, s, false);
        else
            ki_set_uap(m, t, s, false);
    }
    if (apc->special_user && t->special_user_apc_pending && s == &t->apc_state) {
        /* SU2: the special user APCs lead the user list; with none left the
         * win10 pending bit has nothing to announce (I10, like UAP above). */
        GList *h = s->list[UserMode].head;
        if (!h || !((KAPC *)h->data)->special_user)
            ki_set_special_user_pending(m, t, false);
    }
    return true;
}

/* KeFlushQueueApc (I11): detach the whole list of that mode from AS, mark
 * every entry not inserted, return them (up to max in out[]). KAP/UAP stay. */
int KeFlushQueueApc(KMACHINE *m, KTHREAD *t, KPROCESSOR_MODE mode, KAPC **out, int max)
{
    int n = 0;
    GList *l;
    while ((l = t->apc_state.list[mode].head) != NULL) {
        KAPC *apc = l->data;
        ki_unlink_apc(m, apc, 3 /* flushed */);
        if (n < max)
            out[n] = apc;
        n++;
    }
    /* I11 leaves KAP/UAP alone; the win10 special-user-APC bit has no APC
     * left to announce [UNCERTAIN, SU2]: it is cleared with the list. */
    if (mode == UserMode && t->special_user_apc_pending)
        ki_set_special_user_pending(m, t, false);
    return n;
}

/* ---- delivery -------------------------------------------------------------- */

/* Begin one delivery: the A6 copies, taken before the KR runs. */
static void ki_call_begin(KMACHINE *m, KAPC *apc, KAPC_CALL *call)
{
    memset(call, 0, sizeof *call);
    call->apc = apc;
    call->internal = apc->internal;
    call->normal_routine = apc->has_normal_routine;
    call->normal_context = apc->normal_context;
    call->system_argument2 = apc->system_argument2;
    call->apc_mode = apc->apc_mode;
    if (apc->runner_rec > 0 && m->runner.call_begin)
        call->id = m->runner.call_begin(m->runner.ctx, apc);
}

static void ki_call_end(KMACHINE *m, KAPC_CALL *call)
{
    if (call->id && m->runner.unref)
        m->runner.unref(m->runner.ctx, call->id);
    call->id = 0;
}

bool ki_exit_apc_first(const KTHREAD *t)
{
    const GQueue *ul = &t->apc_state.list[UserMode];
    return t->apc_state.user_apc_pending && ul->head && ((KAPC *)ul->head->data)->internal == ApcExit;
}

/* Push the frame that runs routine rk of the call. */
static void ki_push_routine(KMACHINE *m, KTHREAD *t, KAPC_CALL *call, KROUTINE_KIND rk)
{
    KCODE none = { 0, 0 };
    KFRAME *f = ke_push_code(m, t, rk, none, call->apc->id);
    f->call = call->id;
}

typedef struct KDELIVER {
    KAPC_CALL call;
    KPROCESS *process_at_entry;     /* D8 */
    bool special_bit_before;        /* win10: SpecialApcInProgress when this SK's KR began */
} KDELIVER;

enum { DA_ENTER = 0, DA_LOOP, DA_AFTER_SK, DA_AFTER_NK_KR, DA_AFTER_NK_NR, DA_USER, DA_AFTER_U_KR, DA_END };

/* The KR must return at APC_LEVEL (D3): else IRQL_UNEXPECTED_VALUE. */
static bool ki_check_kr_irql(KMACHINE *m, KPRCB *c, KAPC_CALL *call)
{
    if (c->irql == APC_LEVEL)
        return true;
    KeBugCheckEx(m, BUGCODE_IRQL_UNEXPECTED_VALUE, (uint64_t)c->irql << 16 | APC_LEVEL, 0,
                 (uint64_t)call->apc->id, 0);
    return false;
}

/* What a built-in KR does (no scenario code), synchronously at APC_LEVEL. */
static void ki_builtin_kernel_routine(KMACHINE *m, KTHREAD *t, KAPC_CALL *call)
{
    int cpu = t->cpu;
    ke_trace(m, TR_ROUTINE_BEGIN, cpu, t->id, call->apc->id, RtKernelRoutine, m->cpu[cpu].irql, KernelMode, 0, 0,
             NULL);
    switch ((KAPC_INTERNAL)call->internal) {
    case ApcIoCompletion:
        ki_io_kernel_routine(m, t, call);   /* IopCompleteRequest (IO2) */
        break;
    case ApcExit:                           /* PsExitSpecialApc (T3, T4) */
        if (ki_exit_kernel_routine(m, t, call)) {
            /* it called PspExitThread (now on top), which never returns:
             * the routine's row ends here so that its strip is closed */
            ke_trace(m, TR_ROUTINE_END, cpu, t->id, call->apc->id, RtKernelRoutine, m->cpu[cpu].irql, 0, 0, 0, NULL);
            return;
        }
        break;
    case ApcSuspend:                        /* KiSuspendNop (S1) */
    case ApcScenario:
        break;
    }
    ke_trace(m, TR_ROUTINE_END, cpu, t->id, call->apc->id, RtKernelRoutine, m->cpu[cpu].irql, 0, 0, 0, NULL);
}

KSTEP ki_run_deliver_apc(KMACHINE *m, KPRCB *c, KTHREAD *t, KFRAME *f)
{
    KDELIVER *d = f->ptr;
    int mode = f->flag;
    switch (f->pc) {
    case DA_ENTER:
        d = f->ptr = g_new0(KDELIVER, 1);
        d->process_at_entry = t->apc_state.process;
        /* D2 */
        ki_set_kap(m, t, &t->apc_state, false);
        if (t->special_apc_disable != 0) {
            f->pc = DA_END;
            return STEP_CONTINUE;
        }
        f->pc = DA_LOOP;
        /* fall through */
    case DA_LOOP: {
        GQueue *kl = &t->apc_state.list[KernelMode];
        if (g_queue_is_empty(kl)) {
            f->pc = DA_USER;
            return STEP_CONTINUE;
        }
        KAPC *apc = kl->head->data;
        bool win10 = m->cfg.profile == ProfileWin10;
        if (!apc->has_normal_routine) {
            ki_unlink_apc(m, apc, 0 /* delivered */);
            ki_call_begin(m, apc, &d->call);
            f->pc = DA_AFTER_SK;
            if (win10) {
                /* [DIFF] row 2; a KiDeliverApc nested in another SK's KR
                 * (its KR lowered IRQL) finds the bit set and leaves it so */
                d->special_bit_before = t->special_apc_in_progress;
                ke_trace_field(m, t, FLD_SPECIAL_APC_IN_PROGRESS, t->special_apc_in_progress, 1);
                t->special_apc_in_progress = true;
            }
        } else {
            if (ki_any_in_progress(m, t) || t->kernel_apc_disable != 0) {
                f->pc = DA_END;                 /* D3: stop the whole call */
                return STEP_CONTINUE;
            }
            ki_unlink_apc(m, apc, 0);
            ki_call_begin(m, apc, &d->call);
            f->pc = DA_AFTER_NK_KR;
            if (win10)
                ki_set_kaip(m, t, true);        /* [DIFF] row 2: already during the KR */
        }
        if (d->call.internal != ApcScenario) {
            ki_builtin_kernel_routine(m, t, &d->call);
            return STEP_CONTINUE;
        }
        ki_push_routine(m, t, &d->call, RtKernelRoutine);
        return STEP_CONTINUE;
    }
    case DA_AFTER_SK:
        /* back to what it was when this KR began: a nested SK must not clear
         * the bit of the SK whose KR is still running ([DIFF] row 2) */
        if (t->special_apc_in_progress && !d->special_bit_before) {
            ke_trace_field(m, t, FLD_SPECIAL_APC_IN_PROGRESS, 1, 0);
            t->special_apc_in_progress = false;
        }
        if (!ki_check_kr_irql(m, c, &d->call))
            return STEP_CONTINUE;
        ki_call_end(m, &d->call);
        f->pc = DA_LOOP;
        return STEP_CONTINUE;
    case DA_AFTER_NK_KR:
        if (!ki_check_kr_irql(m, c, &d->call))
            return STEP_CONTINUE;
        if (d->call.internal == ApcScenario)
            d->call.normal_routine = t->frame_result != 0;     /* the KR may cancel the NR (D3) */
        if (!d->call.normal_routine) {
            if (t->apc_state.kernel_apc_in_progress)
                ki_set_kaip(m, t, false);       /* win10: the KR's in-progress bit */
            ki_call_end(m, &d->call);
            f->pc = DA_LOOP;
            return STEP_CONTINUE;
        }
        ki_set_kaip(m, t, true);
        ki_set_irql(m, c, PASSIVE_LEVEL);
        f->pc = DA_AFTER_NK_NR;
        if (d->call.internal == ApcSuspend) {
            ki_suspend_normal_routine(m, t);        /* KiSuspendThread: a wait (S1) */
            return STEP_CONTINUE;
        }
        if (d->call.internal == ApcExit) {
            ki_exit_normal_routine(m, t, &d->call); /* PspExitNormalApc (T3) */
            return STEP_CONTINUE;
        }
        ki_push_routine(m, t, &d->call, RtNormalRoutine);
        return STEP_CONTINUE;
    case DA_AFTER_NK_NR:
        if (d->call.internal == ApcSuspend)
            ke_trace(m, TR_ROUTINE_END, c->number, t->id, d->call.apc->id, RtNormalRoutine, c->irql, 0, 0, 0, NULL);
        ki_set_irql(m, c, APC_LEVEL);
        ki_set_kaip(m, t, false);
        ki_call_end(m, &d->call);
        f->pc = DA_LOOP;
        return STEP_CONTINUE;
    case DA_USER: {
        /* D4 */
        GQueue *ul = &t->apc_state.list[UserMode];
        KAPC *apc = NULL;
        bool regular_pending = t->apc_state.user_apc_pending;
        /* T4/T7: the exit APC, re-queued at the head with UAP set (T3), goes
         * first even on win10: nothing runs in user mode after it */
        bool exit_first = mode == UserMode && ki_exit_apc_first(t);
        if (t->user_dispatch && !exit_first) {
            f->pc = DA_END;         /* one user routine per exit is prepared already (D5) */
            return STEP_CONTINUE;
        }
        if (t->user_dispatch) {
            /* D5 loops while UAP: the exit APC the prepared routine's KR let
             * in (T3) is delivered now, and its KR never returns (T4): the
             * prepared routine never reaches user mode */
            if (t->user_dispatch->id && m->runner.unref)
                m->runner.unref(m->runner.ctx, t->user_dispatch->id);
            g_free(t->user_dispatch);
            t->user_dispatch = NULL;
        }
        if (mode == UserMode && t->special_user_apc_pending && !exit_first) {
            /* SU2: the first special user APC anywhere in the list, UAP or not */
            for (GList *l = ul->head; l && !apc; l = l->next)
                if (((KAPC *)l->data)->special_user)
                    apc = l->data;
            bool more = false;
            for (GList *l = ul->head; l; l = l->next)
                more = more || (((KAPC *)l->data)->special_user && l->data != apc);
            ki_set_special_user_pending(m, t, more);
        }
        if (apc && t->apc_state.user_apc_pending && ul->length == 1) {
            /* D10: the special APC was the last one: UAP must not stay set */
            ki_set_uap(m, t, &t->apc_state, false);
        }
        if (!apc) {
            if (mode != UserMode || g_queue_is_empty(ul) || !t->apc_state.user_apc_pending) {
                f->pc = DA_END;
                return STEP_CONTINUE;
            }
            ki_set_uap(m, t, &t->apc_state, false);
            apc = ul->head->data;
        }
        ki_unlink_apc(m, apc, 0);
        ki_call_begin(m, apc, &d->call);
        d->call.regular_pending = regular_pending;
        f->pc = DA_AFTER_U_KR;
        if (d->call.internal != ApcScenario) {
            ki_builtin_kernel_routine(m, t, &d->call);
            return STEP_CONTINUE;
        }
        ki_push_routine(m, t, &d->call, RtKernelRoutine);
        return STEP_CONTINUE;
    }
    case DA_AFTER_U_KR:
        if (!ki_check_kr_irql(m, c, &d->call))
            return STEP_CONTINUE;
        if (d->call.internal == ApcScenario)
            d->call.normal_routine = t->frame_result != 0;
        if (!d->call.normal_routine) {
            ki_call_end(m, &d->call);
            KeTestAlertThread(m, UserMode);     /* AL5 */
        } else {
            /* Hand the NR to the return-to-user path (D4: KiUserApcDispatcher). */
            assert(!t->user_dispatch);
            t->user_dispatch = g_memdup2(&d->call, sizeof d->call);
        }
        f->pc = DA_END;
        /* fall through */
    case DA_END:
        if (t->apc_state.process != d->process_at_entry) {     /* D8 */
            KeBugCheckEx(m, BUGCODE_INVALID_PROCESS_ATTACH_ATTEMPT, (uint64_t)d->process_at_entry->id,
                         (uint64_t)t->apc_state.process->id, t->apc_state_index, 0);
            return STEP_CONTINUE;
        }
        ke_pop_transparent(m, t);
        return STEP_CONTINUE;
    }
    g_assert_not_reached();
}

enum { AI_ENTER = 0, AI_DONE };

/* The APC software interrupt (D1): KiDeliverApc with the interrupted mode. */
KSTEP ki_run_apc_int(KMACHINE *m, KPRCB *c, KTHREAD *t, KFRAME *f)
{
    switch (f->pc) {
    case AI_ENTER: {
        int mode = f->saved_mode;
        ki_set_irql(m, c, APC_LEVEL);
        f->pc = AI_DONE;
        ke_push_frame(m, t, FRAME_DELIVER_APC)->flag = (uint8_t)mode;
        return STEP_CONTINUE;
    }
    case AI_DONE:
        ki_interrupt_return(m, c, t, f);
        return STEP_CONTINUE;
    }
    g_assert_not_reached();
}

enum { CA_ENTER = 0, CA_DONE };

/* KiCheckForKernelApcDelivery at PASSIVE (R6): deliver synchronously. */
KSTEP ki_run_check_apc(KMACHINE *m, KPRCB *c, KTHREAD *t, KFRAME *f)
{
    switch (f->pc) {
    case CA_ENTER:
        ki_set_irql(m, c, APC_LEVEL);
        f->pc = CA_DONE;
        ke_push_frame(m, t, FRAME_DELIVER_APC)->flag = KernelMode;
        return STEP_CONTINUE;
    case CA_DONE:
        ke_pop_transparent(m, t);
        ki_set_irql(m, c, PASSIVE_LEVEL);
        return STEP_CONTINUE;
    }
    g_assert_not_reached();
}

/* KiCheckForKernelApcDelivery (R6): at PASSIVE deliver before returning
 * (pushes a frame: the caller yields); otherwise KAP and an APC interrupt. */
void ki_check_for_kernel_apc_delivery(KMACHINE *m, KTHREAD *t)
{
    KPRCB *c = ke_cpu_of(m, t);
    if (t == m->running && c->irql == PASSIVE_LEVEL) {
        ke_push_frame(m, t, FRAME_CHECK_APC);
        return;
    }
    ki_set_kap(m, t, &t->apc_state, true);
    if (t->state == Running)
        ki_request_apc_for(m, t);
}

/* ---- regions (R4-R7) ---------------------------------------------------- */

void KeEnterCriticalRegion(KMACHINE *m)
{
    KTHREAD *t = m->running;
    ki_set_kad(m, t, t->kernel_apc_disable - 1);
}

void KeLeaveCriticalRegion(KMACHINE *m)
{
    KTHREAD *t = m->running;
    ki_set_kad(m, t, t->kernel_apc_disable + 1);
    if (t->kernel_apc_disable == 0 && !ki_kernel_list_empty(&t->apc_state) && t->special_apc_disable == 0)
        ki_check_for_kernel_apc_delivery(m, t);
}

void KeEnterGuardedRegion(KMACHINE *m)
{
    KTHREAD *t = m->running;
    ki_set_sad(m, t, t->special_apc_disable - 1);
}

void KeLeaveGuardedRegion(KMACHINE *m)
{
    KTHREAD *t = m->running;
    ki_set_sad(m, t, t->special_apc_disable + 1);
    if (t->special_apc_disable == 0 && !ki_kernel_list_empty(&t->apc_state))
        ki_check_for_kernel_apc_delivery(m, t);
}

bool KeAreApcsDisabled(KMACHINE *m)
{
    KTHREAD *t = m->running;
    return t->kernel_apc_disable != 0 || t->special_apc_disable != 0;
}

bool KeAreAllApcsDisabled(KMACHINE *m)
{
    KTHREAD *t = m->running;
    return t->special_apc_disable != 0 || m->running_cpu->irql >= APC_LEVEL;
}

/* ---- alerts (AL1-AL5, W2) ------------------------------------------------ */

/* KeAlertThread (AL2): returns the old Alerted[mode]. */
bool KeAlertThread(KMACHINE *m, KTHREAD *t, KPROCESSOR_MODE mode)
{
    bool old = t->alerted[mode];
    if (old)
        return true;
    if (t->state == Waiting && t->alertable && mode <= t->wait_mode)
        ki_unwait_thread(m, t, STATUS_ALERTED, KE_ALERT_INCREMENT);
    else
        ki_set_alerted(m, t, mode, true);
    return false;
}

/* KeTestAlertThread (AL5) on the current thread. */
bool KeTestAlertThread(KMACHINE *m, KPROCESSOR_MODE mode)
{
    KTHREAD *t = m->running;
    bool old = t->alerted[mode];
    if (old)
        ki_set_alerted(m, t, mode, false);
    else if (mode == UserMode && !g_queue_is_empty(&t->apc_state.list[UserMode]))
        ki_set_uap(m, t, &t->apc_state, true);
    return old;
}

/* KiCheckAlertability (W2). */
NTSTATUS ki_check_alertability(KMACHINE *m, KTHREAD *t, bool alertable, KPROCESSOR_MODE wait_mode)
{
    if (alertable) {
        if (t->alerted[wait_mode]) {
            ki_set_alerted(m, t, wait_mode, false);
            return STATUS_ALERTED;
        }
        if (wait_mode == UserMode && !g_queue_is_empty(&t->apc_state.list[UserMode])) {
            ki_set_uap(m, t, &t->apc_state, true);
            return STATUS_USER_APC;
        }
        if (t->alerted[KernelMode]) {
            ki_set_alerted(m, t, KernelMode, false);
            return STATUS_ALERTED;
        }
        return 0;
    }
    if (wait_mode == UserMode && t->apc_state.user_apc_pending)
        return STATUS_USER_APC;
    return 0;
}
