/*
 * attach.c - process attach and detach and the APC environments (E1-E7).
 *
 * Not attached: ApcStateIndex 0, ApcStatePointer[0] = &ApcState and [1] =
 * &SavedApcState (unused). KeAttachProcess moves the whole ApcState (both
 * lists, Process, the three flags) into SavedApcState, starts an empty
 * ApcState for the new process and swaps the pointers, so "Original" now
 * names the saved block and "Attached" the live one (E2). A nested
 * KeStackAttachProcess saves the current (attached) state into the
 * caller's buffer instead, which no index can address (E3, E4): APCs aimed
 * at a non-current environment are parked there without any signalling (I6).
 *
 * Detach (E5, E6) is a kernel program (FRAME_DETACH) because Windows first
 * lets pending kernel APCs of the attached environment run, before the
 * restore, and only then checks that nothing is left; after the restore a
 * non-empty kernel list sets KernelApcPending and requests an APC
 * interrupt, so restored APCs run as soon as IRQL allows.
 * Profiles ([DIFF] rows 3, 4): reactos has no pre-delivery loop in
 * KeDetachProcess and loops on "KAP and KAD == 0 and IRQL <= APC_LEVEL" in
 * KeUnstackDetachProcess. Choice: KeDetachProcess checks for leftovers
 * (bugcheck INVALID_PROCESS_DETACH_ATTEMPT) in every profile - the checked
 * WRK build and ReactOS; the free WRK build leaves it undefined (C15).
 */
#include "ke/ke.h"

#include <string.h>

enum { MOVE_AS_TO_SAS = 0, MOVE_AS_TO_BUFFER = 1, MOVE_SAS_TO_AS = 2, MOVE_BUFFER_TO_AS = 3 };

/* Move a whole KAPC_STATE (lists and flags) from src into dst. */
static void ki_move_apc_state(KAPC_STATE *dst, KAPC_STATE *src)
{
    *dst = *src;
    for (int mode = 0; mode < 2; mode++)
        for (GList *l = dst->list[mode].head; l; l = l->next)
            ((KAPC *)l->data)->state = dst;
    ki_apc_state_init(src, NULL);
}

static void ki_trace_flags(KMACHINE *m, KTHREAD *t, const KAPC_STATE *before_as, const KAPC_STATE *before_sas)
{
    ke_trace_field(m, t, FLD_KERNEL_APC_PENDING, before_as->kernel_apc_pending, t->apc_state.kernel_apc_pending);
    ke_trace_field(m, t, FLD_USER_APC_PENDING, before_as->user_apc_pending, t->apc_state.user_apc_pending);
    ke_trace_field(m, t, FLD_KERNEL_APC_IN_PROGRESS, before_as->kernel_apc_in_progress,
                   t->apc_state.kernel_apc_in_progress);
    ke_trace_field(m, t, FLD_SAVED_KAP, before_sas->kernel_apc_pending, t->saved_apc_state.kernel_apc_pending);
    ke_trace_field(m, t, FLD_SAVED_UAP, before_sas->user_apc_pending, t->saved_apc_state.user_apc_pending);
    ke_trace_field(m, t, FLD_SAVED_KAIP, before_sas->kernel_apc_in_progress,
                   t->saved_apc_state.kernel_apc_in_progress);
}

static void ki_set_index(KMACHINE *m, KTHREAD *t, int idx)
{
    ke_trace_field(m, t, FLD_APC_STATE_INDEX, t->apc_state_index, idx);
    t->apc_state_index = (uint8_t)idx;
    t->apc_state_pointer[0] = idx ? &t->saved_apc_state : &t->apc_state;
    t->apc_state_pointer[1] = idx ? &t->apc_state : &t->saved_apc_state;
}

/* KiAttachProcess: AS -> SAS (or -> buf), a fresh AS for p (E2, E3). */
static void ki_attach(KMACHINE *m, KTHREAD *t, KPROCESS *p, KAPC_STATE_BUF *buf)
{
    if (!buf && (!g_queue_is_empty(&t->saved_apc_state.list[KernelMode]) ||
                 !g_queue_is_empty(&t->saved_apc_state.list[UserMode]))) {
        /* APCs aimed at the Attached environment of a thread that was not
         * attached sit in the dormant SavedApcState (I6); attaching now
         * would overwrite that block and lose them - the caller bug ReactOS
         * asserts on (A4). */
        const char *where = m->runner.where ? m->runner.where(m->runner.ctx) : NULL;
        ke_fail(m, StopScenarioError,
                "%s%sattaching %s to %s would lose the APCs parked in its dormant SavedApcState (inserted for "
                "AttachedApcEnvironment while it was not attached: a caller bug, A4)", where ? where : "",
                where ? ": " : "", t->header.name, p->name);
        return;
    }
    KAPC_STATE as0 = t->apc_state, sas0 = t->saved_apc_state;
    if (buf) {
        ki_move_apc_state(&buf->state, &t->apc_state);
        buf->saved = true;
    } else {
        ki_move_apc_state(&t->saved_apc_state, &t->apc_state);
    }
    ki_apc_state_init(&t->apc_state, p);
    ke_trace(m, TR_APC_STATE_MOVE, t->cpu, t->id, -1, buf ? MOVE_AS_TO_BUFFER : MOVE_AS_TO_SAS, p->id, 1,
             buf ? buf->id : -1, 0, NULL);
    ki_trace_flags(m, t, &as0, &sas0);
    if (!buf)
        ki_set_index(m, t, 1);
}

/* KeAttachProcess (E2): the current thread, IRQL <= DISPATCH_LEVEL. */
void KeAttachProcess(KMACHINE *m, KPROCESS *p)
{
    KTHREAD *t = m->running;
    KPRCB *c = m->running_cpu;
    if (t->apc_state.process == p)
        return;
    if (t->apc_state_index != 0 || c->dpc_active) {
        KeBugCheckEx(m, BUGCODE_INVALID_PROCESS_ATTACH_ATTEMPT, (uint64_t)p->id,
                     (uint64_t)t->apc_state.process->id, t->apc_state_index, c->dpc_active);
        return;
    }
    ki_attach(m, t, p, NULL);
}

/* KeStackAttachProcess (E3): returns the caller's buffer. */
KAPC_STATE_BUF *KeStackAttachProcess(KMACHINE *m, KPROCESS *p)
{
    KTHREAD *t = m->running;
    KPRCB *c = m->running_cpu;
    if (c->dpc_active) {
        KeBugCheckEx(m, BUGCODE_INVALID_PROCESS_ATTACH_ATTEMPT, (uint64_t)p->id,
                     (uint64_t)t->apc_state.process->id, t->apc_state_index, 1);
        return NULL;
    }
    KAPC_STATE_BUF *buf = g_new0(KAPC_STATE_BUF, 1);
    g_ptr_array_add(m->stack_states, buf);
    buf->id = (int32_t)m->stack_states->len;
    ki_apc_state_init(&buf->state, NULL);
    buf->used = true;
    buf->thread = t;
    buf->depth = ++t->stack_attach_depth;
    if (t->apc_state.process == p) {
        buf->marker = true;                 /* Buf.Process = 1 */
        return buf;
    }
    ki_attach(m, t, p, t->apc_state_index == 0 ? NULL : buf);
    return buf;
}

void KeDetachProcess(KMACHINE *m)
{
    KTHREAD *t = m->running;
    if (t->apc_state_index == 0)
        return;
    ke_push_frame(m, t, FRAME_DETACH)->ptr = NULL;
}

void KeUnstackDetachProcess(KMACHINE *m, KAPC_STATE_BUF *buf)
{
    KTHREAD *t = m->running;
    if (buf->marker) {
        buf->used = false;
        t->stack_attach_depth--;
        return;
    }
    /* WRK: an unstack with ApcStateIndex 0 - the thread was detached under
     * the buffer, by KeDetachProcess - is INVALID_PROCESS_DETACH_ATTEMPT
     * (E5, E6: there is no attached state left to restore it from) */
    if (t->apc_state_index == 0) {
        KeBugCheckEx(m, BUGCODE_INVALID_PROCESS_DETACH_ATTEMPT, t->apc_state.kernel_apc_in_progress,
                     t->apc_state.list[KernelMode].length, t->apc_state.list[UserMode].length, 0);
        return;
    }
    KFRAME *f = ke_push_frame(m, t, FRAME_DETACH);
    f->ptr = buf;
    f->flag = 1;
}

enum { DETACH_RAISE = 0, DETACH_LOCKED };

/* The detach program: pre-delivery loop, leftover check, restore (E5, E6).
 * It takes the APC queue lock as WRK does, raising to SYNCH_LEVEL first
 * (KeAcquireInStackQueuedSpinLockRaiseToSynch): between the raise and the
 * lock the CPU yields, so an insertion another CPU makes at that instant
 * lands in the window of C14(b) - KAP set, the APC interrupt latched but
 * masked - and the loop below is what delivers it. */
KSTEP ki_run_detach(KMACHINE *m, KPRCB *c, KTHREAD *t, KFRAME *f)
{
    KAPC_STATE_BUF *buf = f->ptr;
    bool unstack = f->flag == 1;
    KIRQL irql = f->saved_irql;             /* the caller's */
    if (f->pc == DETACH_RAISE) {
        ki_set_irql(m, c, SYNCH_LEVEL);
        f->pc = DETACH_LOCKED;
        return STEP_YIELD;
    }
    /* E5: let pending kernel APCs of the attached environment run first. */
    bool loop;
    if (m->cfg.profile == ProfileReactos)
        loop = unstack && t->apc_state.kernel_apc_pending && t->kernel_apc_disable == 0 && irql <= APC_LEVEL;
    else
        loop = t->apc_state.kernel_apc_pending && t->special_apc_disable == 0 && irql < APC_LEVEL;
    if (loop) {
        if (irql >= APC_LEVEL) {
            ke_fail(m, StopScenarioError,
                    "KeUnstackDetachProcess spins forever: a kernel APC is pending and the caller is at "
                    "APC_LEVEL (the ReactOS loop of [DIFF] row 4 never lets it run)");
            return STEP_CONTINUE;
        }
        /* release the lock: back at the caller's IRQL the APC interrupt
         * runs; then raise and take the lock again, and look again */
        ki_request_software_interrupt(m, c, APC_LEVEL);
        f->pc = DETACH_RAISE;
        ki_set_irql(m, c, irql);
        return STEP_CONTINUE;
    }
    if (t->apc_state.kernel_apc_in_progress || !g_queue_is_empty(&t->apc_state.list[KernelMode]) ||
        !g_queue_is_empty(&t->apc_state.list[UserMode])) {
        KeBugCheckEx(m, BUGCODE_INVALID_PROCESS_DETACH_ATTEMPT, t->apc_state.kernel_apc_in_progress,
                     t->apc_state.list[KernelMode].length, t->apc_state.list[UserMode].length, 0);
        return STEP_CONTINUE;
    }
    KAPC_STATE as0 = t->apc_state, sas0 = t->saved_apc_state;
    if (unstack && buf->saved) {
        ki_move_apc_state(&t->apc_state, &buf->state);
        buf->saved = false;
        ke_trace(m, TR_APC_STATE_MOVE, c->number, t->id, -1, MOVE_BUFFER_TO_AS, t->apc_state.process->id, 1,
                 buf->id, 0, NULL);
        ki_trace_flags(m, t, &as0, &sas0);
    } else {
        ki_move_apc_state(&t->apc_state, &t->saved_apc_state);
        ke_trace(m, TR_APC_STATE_MOVE, c->number, t->id, -1, MOVE_SAS_TO_AS, t->apc_state.process->id, 0,
                 buf ? buf->id : -1, 0, NULL);
        ki_trace_flags(m, t, &as0, &sas0);
        ki_set_index(m, t, 0);
    }
    if (buf) {
        buf->used = false;
        t->stack_attach_depth--;
    }
    /* E6: restored kernel APCs are signalled now. */
    if (!g_queue_is_empty(&t->apc_state.list[KernelMode])) {
        ki_set_kap(m, t, &t->apc_state, true);
        ki_request_software_interrupt(m, c, APC_LEVEL);
    }
    ki_set_irql(m, c, irql);                /* the lock released */
    ke_pop_transparent(m, t);
    return STEP_CONTINUE;
}
