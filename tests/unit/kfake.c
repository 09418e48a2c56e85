/*
 * kfake.c - the fake code runner and trace sink of kfake.h.
 *
 * Each code frame the kernel asks the runner to run gets an INSTANCE (the
 * fake's "coroutine"): the script it runs, a step counter, and whether a
 * kernel call of the current step is waiting for the CPU loop. The frame's
 * `co` field holds the instance id, as it holds a Lua coroutine reference in
 * the real runtime; release() frees the instance. Instance ids are never
 * reused within a fake, so a stale id is caught by an assertion.
 *
 * Contract with the kernel (ke.h "the runner"), mirrored from rt_resume and
 * rt_finish in src/lua: a kernel call returns to the script at once unless
 * ke_needs_yield() is true, in which case resume returns KRUN_KCALL and the
 * same step is finished on the next resume; compute sets the top frame's
 * compute_left and returns KRUN_COMPUTE; a stopped run (bugcheck) returns
 * KRUN_ERROR without touching anything else.
 */
#include "kfake.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

typedef struct KfScript {
    char *name;
    KfStep *steps;
    size_t n;
} KfScript;

typedef struct KfInst {
    int32_t id;
    int32_t script;                 /* index in fk->scripts */
    size_t pc;                      /* next step */
    bool pending;                   /* the step at pc made a kernel call and yielded */
    int64_t result;                 /* the kernel call's result (a wait: from frame_result) */
    int64_t default_ret;            /* returned when the steps run out */
} KfInst;

typedef struct KfApc {
    KAPC *apc;
    KCODE kr, nr, rundown;
    int64_t context;                /* NormalContext (kfake_apc_set_context) */
} KfApc;

/* One delivery of an APC (call_begin): the A6 copy of its NormalContext. */
typedef struct KfCall {
    KAPC *apc;
    int64_t context;
} KfCall;

struct KFake {
    KMACHINE *m;
    GPtrArray *scripts;             /* KfScript*, KCODE.ref = index + 1 */
    GPtrArray *insts;               /* KfInst* by id - 1; NULL once released */
    int live;                       /* instances not released */
    GHashTable *apcs;               /* apc id -> KfApc* */
    GHashTable *calls;              /* call id -> KfCall* */
    int32_t next_call;
    GArray *rows;                   /* KfRow */
    GPtrArray *names;               /* thread/object/process names by id */
    GPtrArray *apc_names;           /* APC and DPC names by id */
    GString *log;
    int failures;
};

/* ---- the sink ------------------------------------------------------------ */

static void
kf_emit(void *ctx, const KTRACE_RECORD *r)
{
    KFake *fk = ctx;
    KfRow row = {
        .t = r->t, .kind = r->kind, .cpu = r->cpu, .thread = r->thread, .obj = r->obj,
        .a = r->a, .b = r->b, .c = r->c, .d = r->d, .e = r->e,
        .text = g_strdup(r->text),
    };

    g_assert(r->kind >= 0 && r->kind < TR__COUNT);
    g_array_append_val(fk->rows, row);
}

static void
kf_set_name(GPtrArray *a, int32_t id, const char *name)
{
    g_assert(id >= 0);
    if ((guint)id >= a->len)
        g_ptr_array_set_size(a, id + 1);
    g_free(a->pdata[id]);
    a->pdata[id] = g_strdup(name);
}

static void
kf_name(void *ctx, const char *what, int32_t id, const char *name)
{
    KFake *fk = ctx;

    kf_set_name(strcmp(what, "apc") == 0 ? fk->apc_names : fk->names, id, name);
}

/* ---- the runner ------------------------------------------------------------ */

static KfInst *
kf_inst(KFake *fk, int32_t co)
{
    g_assert(co > 0 && (guint)co <= fk->insts->len);
    KfInst *in = fk->insts->pdata[co - 1];
    g_assert(in != NULL && "resume of a released code frame");
    return in;
}

static const KfScript *
kf_script_of(KFake *fk, int32_t ref)
{
    if (ref <= 0 || (guint)ref > fk->scripts->len)
        return NULL;
    return fk->scripts->pdata[ref - 1];
}

static KfApc *
kf_apc_of(KFake *fk, int32_t apc_id)
{
    return g_hash_table_lookup(fk->apcs, GINT_TO_POINTER(apc_id));
}

/* The script a new code frame runs, and what it returns by default. */
static int32_t
kf_resolve(KFake *fk, KFRAME *f, int64_t *default_ret)
{
    *default_ret = 0;
    switch (f->routine) {
    case RtThreadBody:
    case RtDpc:
        return f->code.ref;
    case RtKernelRoutine:
    case RtNormalRoutine:
    case RtUserApcNormal: {
        KfCall *call = g_hash_table_lookup(fk->calls, GINT_TO_POINTER(f->call));
        KAPC *apc = call ? call->apc : NULL;
        KfApc *fa = apc ? kf_apc_of(fk, apc->id) : NULL;
        if (!fa)
            return 0;
        if (f->routine == RtKernelRoutine) {
            *default_ret = apc->has_normal_routine;     /* keep the NR (D3) */
            return fa->kr.ref;
        }
        return fa->nr.ref;
    }
    case RtRundownRoutine: {
        KfApc *fa = kf_apc_of(fk, f->owner_id);
        return fa ? fa->rundown.ref : 0;
    }
    default:
        return 0;
    }
}

static const char *
kf_status_text(NTSTATUS st, char *buf, size_t len)
{
    const char *n = nt_status_name(st);

    if (!n) {
        snprintf(buf, len, "0x%08X", (unsigned)st);
        return buf;
    }
    return g_str_has_prefix(n, "STATUS_") ? n + 7 : n;
}

/* Finish the kernel call of step s: log its result if the step has a label. */
static void
kf_complete(KFake *fk, KfInst *in, KTHREAD *t, const KfStep *s)
{
    if (s->op == KF_OP_WAIT || s->op == KF_OP_DELAY)
        in->result = t->frame_result;
    /* SYSCALL_ENTER's label is the system call's name; FLUSH logged its chain */
    if (!s->label || s->op == KF_OP_SYSCALL_ENTER || s->op == KF_OP_FLUSH_APC)
        return;
    if (s->op == KF_OP_WAIT || s->op == KF_OP_DELAY) {
        char buf[16];
        /* STATUS_WAIT_0 and STATUS_SUCCESS are both 0: name it after the call. */
        const char *st = s->op == KF_OP_WAIT && in->result == STATUS_WAIT_0
                             ? "WAIT_0" : kf_status_text((NTSTATUS)in->result, buf, sizeof buf);
        kfake_log_add(fk, "%s:%s=%s@%" PRId64, t->header.name, s->label, st, fk->m->now);
    } else {
        kfake_log_add(fk, "%s:%s=%" PRId64 "@%" PRId64, t->header.name, s->label, in->result, fk->m->now);
    }
}

/* Make the kernel call of step s for the running thread (m->running). */
static void
kf_kcall(KFake *fk, KfInst *in, const KfStep *s)
{
    KMACHINE *m = fk->m;
    NTSTATUS st = STATUS_SUCCESS;

    in->result = 0;
    switch (s->op) {
    case KF_OP_WAIT:
    case KF_OP_DELAY: {
        DISPATCHER_HEADER *objs[KF_MAX_WAIT];
        g_assert(s->n >= 0 && s->n <= KF_MAX_WAIT);
        for (int i = 0; i < s->n; i++)
            objs[i] = s->objs[i];
        KWAIT_ARGS a = {
            .objects = objs, .count = s->op == KF_OP_DELAY ? 0 : s->n,
            .wait_type = s->op == KF_OP_DELAY ? WaitDelay : s->wait_type,
            .mode = s->mode, .alertable = s->alertable, .timeout = s->timeout,
            .reason = s->op == KF_OP_DELAY ? DelayExecution : Executive,
        };
        ke_wait_begin(m, &a);
        break;
    }
    case KF_OP_SET_EVENT:
        in->result = KeSetEvent(m, (KEVENT *)s->objs[0], (int)s->a);
        break;
    case KF_OP_RESET_EVENT:
        in->result = KeResetEvent(m, (KEVENT *)s->objs[0]);
        break;
    case KF_OP_PULSE_EVENT:
        in->result = KePulseEvent(m, (KEVENT *)s->objs[0], (int)s->a);
        break;
    case KF_OP_RELEASE_SEMAPHORE:
        in->result = KeReleaseSemaphore(m, (KSEMAPHORE *)s->objs[0], (int)s->a, (int32_t)s->b, &st);
        if (st != STATUS_SUCCESS)
            in->result = st;
        break;
    case KF_OP_RELEASE_MUTANT:
        in->result = KeReleaseMutant(m, (KMUTANT *)s->objs[0], (int)s->a, false, &st);
        if (st != STATUS_SUCCESS)
            in->result = st;
        break;
    case KF_OP_RAISE_IRQL: {
        KIRQL old;
        KeRaiseIrql(m, (KIRQL)s->a, &old);
        in->result = old;
        break;
    }
    case KF_OP_LOWER_IRQL:
        KeLowerIrql(m, (KIRQL)s->a);
        break;
    case KF_OP_ENTER_CRITICAL_REGION:
        KeEnterCriticalRegion(m);
        break;
    case KF_OP_LEAVE_CRITICAL_REGION:
        KeLeaveCriticalRegion(m);
        break;
    case KF_OP_ENTER_GUARDED_REGION:
        KeEnterGuardedRegion(m);
        break;
    case KF_OP_LEAVE_GUARDED_REGION:
        KeLeaveGuardedRegion(m);
        break;
    case KF_OP_INSERT_DPC:
        in->result = KeInsertQueueDpc(m, s->ptr, (int)s->a);
        break;
    case KF_OP_INSERT_APC:
        in->result = KeInsertQueueApc(m, s->ptr, (int)s->a);
        break;
    case KF_OP_SET_PRIORITY:
        in->result = KeSetPriorityThread(m, s->ptr, (int)s->a);
        break;
    case KF_OP_TEST_ALERT:
        in->result = KeTestAlertThread(m, s->mode);
        break;
    case KF_OP_SYSCALL_ENTER:
        ke_syscall_enter(m, s->label);
        break;
    case KF_OP_SYSCALL_EXIT:
        ke_syscall_exit(m);
        break;
    case KF_OP_REMOVE_APC:
        in->result = KeRemoveQueueApc(m, s->ptr);
        break;
    case KF_OP_FLUSH_APC: {
        KAPC *out[64];
        int n = KeFlushQueueApc(m, m->running, s->mode, out, (int)G_N_ELEMENTS(out));
        GString *names = g_string_new(NULL);
        g_assert(n <= (int)G_N_ELEMENTS(out));
        for (int i = 0; i < n; i++)
            g_string_append_printf(names, "%s%s", i ? " " : "", out[i]->name);
        in->result = n;
        if (s->label)
            kfake_log_add(fk, "%s:%s=[%s]@%" PRId64, m->running->header.name, s->label, names->str, m->now);
        g_string_free(names, TRUE);
        break;
    }
    default:
        g_assert_not_reached();
    }
}

static void
kf_expect(KFake *fk, KTHREAD *t, const KfStep *s, const KfScript *sc, size_t pc)
{
    KMACHINE *m = fk->m;
    int irql = m->running_cpu->irql;

    if (irql == s->a && t->kernel_apc_disable == s->b && t->special_apc_disable == s->c)
        return;
    fk->failures++;
    char *msg = g_strdup_printf("%s step %zu on %s at t=%" PRId64 ": IRQL %d KAD %d SAD %d, expected %d %d %d",
                                sc->name, pc, t->header.name, m->now, irql, t->kernel_apc_disable,
                                t->special_apc_disable, (int)s->a, (int)s->b, (int)s->c);
    g_test_message("FAIL: %s", msg);
    g_test_fail_printf("%s", msg);
    g_free(msg);
}

char *
kfake_apc_list(const GQueue *list)
{
    GString *s = g_string_new(NULL);

    for (GList *l = list->head; l; l = l->next) {
        if (s->len)
            g_string_append_c(s, ' ');
        g_string_append(s, ((KAPC *)l->data)->name);
    }
    return g_string_free(s, FALSE);
}

static void
kf_mismatch(GString *why, const char *what, int64_t got, int64_t want)
{
    if (got != want)
        g_string_append_printf(why, " %s=%" PRId64 " (expected %" PRId64 ")", what, got, want);
}

static void
kf_check_apc_state(KFake *fk, KTHREAD *cur, const KfStep *s, const KfScript *sc, size_t pc)
{
    KMACHINE *m = fk->m;
    KTHREAD *t = s->ptr ? s->ptr : cur;
    const KAPC_STATE *as = &t->apc_state;
    GString *why = g_string_new(NULL);
    char *kl = kfake_apc_list(&as->list[KernelMode]);
    char *ul = kfake_apc_list(&as->list[UserMode]);

    if (s->a >= 0)
        kf_mismatch(why, "IRQL", m->running_cpu->irql, s->a);
    kf_mismatch(why, "KAD", t->kernel_apc_disable, s->b);
    kf_mismatch(why, "SAD", t->special_apc_disable, s->c);
    kf_mismatch(why, "KAP", as->kernel_apc_pending, s->kap);
    kf_mismatch(why, "UAP", as->user_apc_pending, s->uap);
    kf_mismatch(why, "KAIP", as->kernel_apc_in_progress, s->kaip);
    if (!s->ptr)
        kf_mismatch(why, "mode", t->mode, s->mode);
    if (g_strcmp0(kl, s->klist ? s->klist : "") != 0)
        g_string_append_printf(why, " kernel list [%s] (expected [%s])", kl, s->klist ? s->klist : "");
    if (g_strcmp0(ul, s->ulist ? s->ulist : "") != 0)
        g_string_append_printf(why, " user list [%s] (expected [%s])", ul, s->ulist ? s->ulist : "");
    if (why->len) {
        fk->failures++;
        char *msg = g_strdup_printf("%s step %zu on %s at t=%" PRId64 ", APC state of %s:%s", sc->name, pc,
                                    cur->header.name, m->now, t->header.name, why->str);
        g_test_message("FAIL: %s", msg);
        g_test_fail_printf("%s", msg);
        g_free(msg);
    }
    g_free(kl);
    g_free(ul);
    g_string_free(why, TRUE);
}

/* The delivery the top frame of t belongs to (an APC routine), or NULL. */
static KfCall *
kf_call_of(KFake *fk, KTHREAD *t)
{
    KFRAME *f = ke_top_frame(t);

    return f ? g_hash_table_lookup(fk->calls, GINT_TO_POINTER(f->call)) : NULL;
}

static KRUN_RESULT
kf_resume(void *ctx, KTHREAD *t, KFRAME *f, int64_t *ret)
{
    KFake *fk = ctx;
    KMACHINE *m = fk->m;
    KfInst *in;

    g_assert(m->running == t && ke_top_frame(t) == f);
    if (f->co == 0) {
        int64_t def = 0;
        int32_t ref = kf_resolve(fk, f, &def);
        if (!kf_script_of(fk, ref)) {
            ke_fail(m, StopScenarioError, "kfake: no script for %s on %s", nt_routine_name(f->routine),
                    t->header.name);
            return KRUN_ERROR;
        }
        in = g_new0(KfInst, 1);
        g_ptr_array_add(fk->insts, in);
        in->id = (int32_t)fk->insts->len;
        in->script = ref - 1;
        in->default_ret = def;
        fk->live++;
        f->co = in->id;
    } else {
        in = kf_inst(fk, f->co);
    }
    const KfScript *sc = fk->scripts->pdata[in->script];
    if (in->pending) {
        in->pending = false;
        if (ke_stopping(m))
            return KRUN_ERROR;
        kf_complete(fk, in, t, &sc->steps[in->pc]);
        in->pc++;
    }
    for (;;) {
        if (in->pc >= sc->n) {
            *ret = in->default_ret;
            return KRUN_RETURNED;
        }
        const KfStep *s = &sc->steps[in->pc];
        switch (s->op) {
        case KF_OP_COMPUTE:
            in->pc++;
            if (s->a > 0) {
                ke_top_frame(t)->compute_left = s->a;
                return KRUN_COMPUTE;
            }
            continue;
        case KF_OP_RETURN:
            in->pc = sc->n;
            *ret = s->a;
            return KRUN_RETURNED;
        case KF_OP_RECORD:
            kfake_log_add(fk, "%s:%s@%" PRId64, t->header.name, s->label, m->now);
            in->pc++;
            continue;
        case KF_OP_EXPECT:
            kf_expect(fk, t, s, sc, in->pc);
            in->pc++;
            continue;
        case KF_OP_CHECK_APC_STATE:
            kf_check_apc_state(fk, t, s, sc, in->pc);
            in->pc++;
            continue;
        case KF_OP_SET_NORMAL_CONTEXT:
        case KF_OP_RECORD_CONTEXT: {
            KfCall *call = kf_call_of(fk, t);
            g_assert(call != NULL && "context step outside an APC routine");
            if (s->op == KF_OP_SET_NORMAL_CONTEXT)
                call->context = s->a;
            else
                kfake_log_add(fk, "%s:%s=%" PRId64 "@%" PRId64, t->header.name, s->label, call->context, m->now);
            in->pc++;
            continue;
        }
        case KF_OP_CHECK:
            s->check(fk, m, t, s->data);
            in->pc++;
            if (ke_stopping(m))
                return KRUN_ERROR;
            continue;
        default:
            kf_kcall(fk, in, s);
            if (ke_stopping(m))
                return KRUN_ERROR;
            if (ke_needs_yield(m)) {
                in->pending = true;
                return KRUN_KCALL;
            }
            kf_complete(fk, in, t, s);
            in->pc++;
            continue;
        }
    }
}

static void
kf_release(void *ctx, KFRAME *f)
{
    KFake *fk = ctx;

    if (!f->co)
        return;
    kf_inst(fk, f->co);
    g_free(fk->insts->pdata[f->co - 1]);
    fk->insts->pdata[f->co - 1] = NULL;
    fk->live--;
    f->co = 0;
}

static void
kf_unref(void *ctx, int32_t ref)
{
    KFake *fk = ctx;
    gboolean known = g_hash_table_remove(fk->calls, GINT_TO_POINTER(ref));

    g_assert(known && "unref of a call id the runner never gave");
}

static int32_t
kf_call_begin(void *ctx, KAPC *apc)
{
    KFake *fk = ctx;
    int32_t id = ++fk->next_call;

    KfCall *call = g_new0(KfCall, 1);
    KfApc *fa = kf_apc_of(fk, apc->id);

    call->apc = apc;
    call->context = fa ? fa->context : 0;
    g_hash_table_insert(fk->calls, GINT_TO_POINTER(id), call);
    return id;
}

/* ---- life cycle ------------------------------------------------------------ */

KFake *
kfake_new(void)
{
    KFake *fk = g_new0(KFake, 1);

    fk->scripts = g_ptr_array_new();
    fk->insts = g_ptr_array_new();
    fk->apcs = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    fk->calls = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    fk->rows = g_array_new(FALSE, TRUE, sizeof(KfRow));
    fk->names = g_ptr_array_new_with_free_func(g_free);
    fk->apc_names = g_ptr_array_new_with_free_func(g_free);
    fk->log = g_string_new(NULL);
    return fk;
}

void
kfake_free(KFake *fk)
{
    if (!fk)
        return;
    ke_machine_free(fk->m);     /* pops every frame left: releases their instances */
    g_assert_cmpint(fk->live, ==, 0);
    for (guint i = 0; i < fk->scripts->len; i++) {
        KfScript *s = fk->scripts->pdata[i];
        g_free(s->name);
        g_free(s->steps);
        g_free(s);
    }
    g_ptr_array_free(fk->scripts, TRUE);
    for (guint i = 0; i < fk->insts->len; i++)
        g_free(fk->insts->pdata[i]);
    g_ptr_array_free(fk->insts, TRUE);
    g_hash_table_destroy(fk->apcs);
    g_hash_table_destroy(fk->calls);
    for (guint i = 0; i < fk->rows->len; i++)
        g_free(g_array_index(fk->rows, KfRow, i).text);
    g_array_free(fk->rows, TRUE);
    g_ptr_array_free(fk->names, TRUE);
    g_ptr_array_free(fk->apc_names, TRUE);
    g_string_free(fk->log, TRUE);
    g_free(fk);
}

KMACHINE *
kfake_machine(KFake *fk, const KCONFIG *cfg)
{
    KCONFIG def;

    g_assert(fk->m == NULL);
    if (!cfg) {
        ke_config_default(&def);
        cfg = &def;
    }
    KTRACE_SINK sink = { fk, kf_emit, kf_name };
    KRUNNER runner = { fk, kf_resume, kf_release, kf_unref, kf_call_begin, NULL };
    fk->m = ke_machine_new(cfg, sink, runner);
    return fk->m;
}

KMACHINE *
kfake_m(const KFake *fk)
{
    return fk->m;
}

KSTOP_REASON
kfake_run(KFake *fk)
{
    return ke_machine_run(fk->m);
}

KCODE
kfake_code_new(KFake *fk, const char *name)
{
    KfScript *s = g_new0(KfScript, 1);

    s->name = g_strdup(name);
    g_ptr_array_add(fk->scripts, s);
    return (KCODE){ .ref = (int32_t)fk->scripts->len, .arg_ref = 0 };
}

void
kfake_code_set(KFake *fk, KCODE code, const KfStep *steps, size_t n)
{
    KfScript *s = (KfScript *)kf_script_of(fk, code.ref);

    g_assert(s != NULL);
    g_free(s->steps);
    s->steps = n ? g_memdup2(steps, n * sizeof *steps) : NULL;
    s->n = n;
}

KCODE
kfake_script(KFake *fk, const char *name, const KfStep *steps, size_t n)
{
    KCODE c = kfake_code_new(fk, name);

    kfake_code_set(fk, c, steps, n);
    return c;
}

KTHREAD *
kfake_thread(KFake *fk, const char *name, int priority, uint64_t affinity, sim_time_t start_at, KCODE body)
{
    KTHREAD_PARAMS p = {
        .name = name, .process = NULL, .priority = priority, .affinity = affinity,
        .system = true, .start_at = start_at, .body = body,
    };

    return ke_thread_create(fk->m, &p);
}

KTHREAD *
kfake_user_thread(KFake *fk, const char *name, int priority, uint64_t affinity, sim_time_t start_at, KCODE body)
{
    char *pname = g_strdup_printf("%s.p", name);
    KTHREAD_PARAMS p = {
        .name = name, .process = ke_process_create(fk->m, pname), .priority = priority, .affinity = affinity,
        .system = false, .start_at = start_at, .body = body,
    };

    g_free(pname);
    return ke_thread_create(fk->m, &p);
}

KDPC *
kfake_dpc(KFake *fk, const char *name, KCODE routine)
{
    return ke_dpc_create(fk->m, name, routine);
}

KAPC *
kfake_apc(KFake *fk, KTHREAD *t, KPROCESSOR_MODE mode, const char *name, KCODE kr, KCODE nr, KCODE rundown)
{
    KAPC *apc = KeInitializeApc(fk->m, t, OriginalApcEnvironment, mode, nr.ref != 0, rundown.ref != 0, name);
    KfApc *fa = g_new0(KfApc, 1);

    /* The runner holds the routines: the kernel asks it for a call id at
     * each delivery (call_begin), as for a Lua APC (ke.h KAPC.runner_rec). */
    apc->runner_rec = apc->id;
    fa->apc = apc;
    fa->kr = kr;
    fa->nr = nr;
    fa->rundown = rundown;
    g_hash_table_insert(fk->apcs, GINT_TO_POINTER(apc->id), fa);
    return apc;
}

void
kfake_apc_set_context(KFake *fk, KAPC *apc, int64_t context)
{
    KfApc *fa = kf_apc_of(fk, apc->id);

    g_assert(fa != NULL);
    fa->context = context;
}

/* ---- observation ------------------------------------------------------------ */

const char *
kfake_log(KFake *fk)
{
    return fk->log->str;
}

void
kfake_log_clear(KFake *fk)
{
    g_string_truncate(fk->log, 0);
}

void
kfake_log_add(KFake *fk, const char *fmt, ...)
{
    va_list ap;

    if (fk->log->len)
        g_string_append_c(fk->log, ' ');
    va_start(ap, fmt);
    g_string_append_vprintf(fk->log, fmt, ap);
    va_end(ap);
}

int
kfake_failures(const KFake *fk)
{
    return fk->failures;
}

int
kfake_live_frames(const KFake *fk)
{
    return fk->live;
}

guint
kfake_nrows(const KFake *fk)
{
    return fk->rows->len;
}

const KfRow *
kfake_row(const KFake *fk, guint i)
{
    g_assert(i < fk->rows->len);
    return &g_array_index(fk->rows, KfRow, i);
}

guint
kfake_count(const KFake *fk, int kind)
{
    guint n = 0;

    for (guint i = 0; i < fk->rows->len; i++)
        n += g_array_index(fk->rows, KfRow, i).kind == kind;
    return n;
}

const char *
kfake_name(const KFake *fk, int32_t id)
{
    if (id < 0 || (guint)id >= fk->names->len || !fk->names->pdata[id])
        return "?";
    return fk->names->pdata[id];
}

char *
kfake_switches(const KFake *fk)
{
    GString *s = g_string_new(NULL);
    bool mp = fk->m && fk->m->ncpus > 1;

    for (guint i = 0; i < fk->rows->len; i++) {
        const KfRow *r = &g_array_index(fk->rows, KfRow, i);
        if (r->kind != TR_CONTEXT_SWITCH)
            continue;
        if (s->len)
            g_string_append_c(s, ' ');
        if (mp)
            g_string_append_printf(s, "c%d/", r->cpu);
        g_string_append_printf(s, "%" PRId64 ":%s>%s", r->t, kfake_name(fk, (int32_t)r->a),
                               kfake_name(fk, (int32_t)r->b));
    }
    return g_string_free(s, FALSE);
}

char *
kfake_rows_text(const KFake *fk, int kind, int32_t thread)
{
    GString *s = g_string_new(NULL);
    const KTRACE_KIND_INFO *info = &ktrace_kind_info[kind];

    for (guint i = 0; i < fk->rows->len; i++) {
        const KfRow *r = &g_array_index(fk->rows, KfRow, i);
        if (r->kind != kind || (thread >= 0 && r->thread != thread))
            continue;
        int64_t v[5] = { r->a, r->b, r->c, r->d, r->e };
        if (s->len)
            g_string_append_c(s, ' ');
        g_string_append_printf(s, "%" PRId64 ":", r->t);
        bool first = true;
        for (int k = 0; k < 5; k++) {
            if (info->type[k] == FT_NONE)
                continue;
            g_string_append_printf(s, first ? "%" PRId64 : ",%" PRId64, v[k]);
            first = false;
        }
    }
    return g_string_free(s, FALSE);
}

void
kfake_dump(const KFake *fk, FILE *out)
{
    for (guint i = 0; i < fk->rows->len; i++) {
        const KfRow *r = &g_array_index(fk->rows, KfRow, i);
        fprintf(out, "%5u %12" PRId64 " %-15s cpu=%d thr=%s obj=%d %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64
                     " %" PRId64 "%s%s\n",
                i, r->t, ktrace_kind_info[r->kind].name, r->cpu, kfake_name(fk, r->thread), r->obj, r->a, r->b,
                r->c, r->d, r->e, r->text ? " " : "", r->text ? r->text : "");
    }
}

static bool
kf_same_names(const GPtrArray *x, const GPtrArray *y)
{
    if (x->len != y->len)
        return false;
    for (guint i = 0; i < x->len; i++)
        if (g_strcmp0(x->pdata[i], y->pdata[i]) != 0)
            return false;
    return true;
}

bool
kfake_same_rows(const KFake *x, const KFake *y, guint *where)
{
    guint n = MIN(x->rows->len, y->rows->len);

    *where = 0;
    for (guint i = 0; i < n; i++) {
        const KfRow *a = &g_array_index(x->rows, KfRow, i);
        const KfRow *b = &g_array_index(y->rows, KfRow, i);
        if (a->t != b->t || a->kind != b->kind || a->cpu != b->cpu || a->thread != b->thread || a->obj != b->obj ||
            a->a != b->a || a->b != b->b || a->c != b->c || a->d != b->d || a->e != b->e ||
            g_strcmp0(a->text, b->text) != 0) {
            *where = i;
            return false;
        }
    }
    *where = n;
    return x->rows->len == y->rows->len && kf_same_names(x->names, y->names) &&
           kf_same_names(x->apc_names, y->apc_names);
}
