/*
 * kfake.h - a fake code runner (KRUNNER) and a fake in-memory trace sink
 * (KTRACE_SINK) for unit tests of the kernel model without Lua or SQLite.
 *
 * Scenario code is replaced by SCRIPTS: arrays of steps {op, arguments}
 * that the fake runner interprets, one code frame at a time, exactly where
 * the Lua runtime would resume a coroutine (src/lua/runtime.c rt_resume):
 *
 *   - KF_COMPUTE(ns) sets ke_top_frame(t)->compute_left and returns
 *     KRUN_COMPUTE; the next resume continues with the next step;
 *   - a kernel call (wait, set event, raise/lower IRQL, regions, release,
 *     insert DPC/APC ...) calls the function declared in ke.h; if
 *     ke_needs_yield() then says so, the runner returns KRUN_KCALL and, when
 *     the kernel resumes the frame, finishes the SAME step (a wait reads its
 *     NTSTATUS from t->frame_result) before going on; otherwise it goes on at
 *     once, as rt_finish() does;
 *   - a bugcheck or any other stop makes the runner return KRUN_ERROR, the
 *     way a Lua binding unwinds its coroutine;
 *   - KF_RETURN(code), or the end of the steps, returns KRUN_RETURNED.
 *
 * The fake drives the kernel only through ke.h; it reads kernel structures
 * (as ReactOS kmtests read KTHREAD fields) but never writes them, except the
 * compute_left of the top frame, which is the runner's contract.
 *
 * Observation: KF_RECORD(label) appends "thread:label@t" to a log (t in ns,
 * thread = the thread whose stack runs the step, i.e. the interrupted thread
 * for a DPC routine); a kernel call with a label appends "thread:label=value@t"
 * (a wait's status without its "STATUS_" prefix, e.g. "A:w=TIMEOUT@1000";
 * 0 reads WAIT_0 after a wait and SUCCESS after a delay; any other call logs
 * its integer result: the previous state, or a failure NTSTATUS). KF_EXPECT(irql, kad, sad) checks the CPU's IRQL and
 * the thread's KernelApcDisable / SpecialApcDisable at that moment (kmtests'
 * habit: state after every step), KF_CHECK(fn, data) calls a C function
 * there. The sink copies every row into an array for assertions on
 * transitions.
 *
 * Scripts are registered with the fake and named by a KCODE whose ref is the
 * script's index + 1 (thread bodies, DPC routines). APC routines are bound to
 * an APC with kfake_apc(): the runner maps the frame's call id (call_begin)
 * or owner id to the APC and its kernel / normal / rundown script.
 */
#ifndef APCSIM_TESTS_KFAKE_H
#define APCSIM_TESTS_KFAKE_H

#include <glib.h>
#include <stdio.h>

#include "ke/ke.h"

#define KF_MAX_WAIT 8               /* objects one KF_WAIT_* step can name */
#define KF_INFINITE ((sim_time_t)-1)
#define KF_US(x) ((sim_time_t)(x) * 1000)
#define KF_MS(x) ((sim_time_t)(x) * 1000000)

typedef struct KFake KFake;
typedef void (*KfCheckFn)(KFake *fk, KMACHINE *m, KTHREAD *t, void *data);

typedef enum KF_OP {
    KF_OP_COMPUTE = 1,              /* a = ns */
    KF_OP_WAIT,                     /* objs[n], wait_type, mode, alertable, timeout (relative, -1 infinite) */
    KF_OP_DELAY,                    /* KeDelayExecutionThread: mode, alertable, timeout */
    KF_OP_SET_EVENT,                /* obj, a = increment */
    KF_OP_RESET_EVENT,              /* obj */
    KF_OP_PULSE_EVENT,              /* obj, a = increment */
    KF_OP_RELEASE_SEMAPHORE,        /* obj, a = increment, b = adjustment */
    KF_OP_RELEASE_MUTANT,           /* obj, a = increment */
    KF_OP_RAISE_IRQL,               /* a = new IRQL */
    KF_OP_LOWER_IRQL,               /* a = new IRQL */
    KF_OP_ENTER_CRITICAL_REGION,
    KF_OP_LEAVE_CRITICAL_REGION,
    KF_OP_ENTER_GUARDED_REGION,
    KF_OP_LEAVE_GUARDED_REGION,
    KF_OP_INSERT_DPC,               /* ptr = KDPC*, a = cpu */
    KF_OP_INSERT_APC,               /* ptr = KAPC*, a = increment */
    KF_OP_SET_PRIORITY,             /* ptr = KTHREAD*, a = priority */
    KF_OP_RECORD,                   /* label */
    KF_OP_EXPECT,                   /* a = IRQL, b = KAD, c = SAD */
    KF_OP_CHECK,                    /* check(fk, m, t, data) */
    KF_OP_RETURN,                   /* a = result */
    /* Additions for the APC tests (test_apc.c); see KF_CHECK_APC_STATE below. */
    KF_OP_CHECK_APC_STATE,          /* ptr = KTHREAD* (NULL: current), a = IRQL (-1: skip), b = KAD, c = SAD,
                                       kap/uap/kaip, klist/ulist, mode */
    KF_OP_SET_NORMAL_CONTEXT,       /* in a KR: the call's NormalContext := a (A6, D3) */
    KF_OP_RECORD_CONTEXT,           /* log "thread:label=<NormalContext of this call>@t" */
    KF_OP_TEST_ALERT,               /* KeTestAlertThread(mode) on the current thread; logs the result */
    KF_OP_SYSCALL_ENTER,            /* ke_syscall_enter(label): user mode -> kernel code */
    KF_OP_SYSCALL_EXIT,             /* ke_syscall_exit: the return to user mode (D5-D7) */
    KF_OP_REMOVE_APC,               /* KeRemoveQueueApc(ptr); logs the result */
    KF_OP_FLUSH_APC,                /* KeFlushQueueApc(current thread, mode); logs "label=[names]" */
} KF_OP;

typedef struct KfStep {
    KF_OP op;
    int64_t a, b, c;
    void *ptr;                      /* KDPC*, KAPC*, KTHREAD* target */
    DISPATCHER_HEADER *objs[KF_MAX_WAIT];
    int n;                          /* objects used in objs */
    KWAIT_TYPE wait_type;
    KPROCESSOR_MODE mode;
    bool alertable;
    sim_time_t timeout;
    const char *label;              /* NULL: the step logs nothing */
    KfCheckFn check;
    void *data;
    /* KF_CHECK_APC_STATE */
    int8_t kap, uap, kaip;
    const char *klist, *ulist;      /* APC names of AS's kernel / user list, head first, space separated */
} KfStep;

/* One trace row as the sink received it (text copied, may be NULL). */
typedef struct KfRow {
    int64_t t;
    int32_t kind, cpu, thread, obj;
    int64_t a, b, c, d, e;
    char *text;
} KfRow;

/* ---- step constructors (designated initialisers; usable in local arrays) - */

#define KF_OBJ(o) ((DISPATCHER_HEADER *)(void *)(o))
#define KF_NOBJS_(...) ((int)(sizeof((DISPATCHER_HEADER *[]){ __VA_ARGS__ }) / sizeof(DISPATCHER_HEADER *)))

#define KF_COMPUTE(ns)              { .op = KF_OP_COMPUTE, .a = (ns) }
/* KeWaitForSingleObject, KernelMode, not alertable. */
#define KF_WAIT(o, timeout_, label_) \
    { .op = KF_OP_WAIT, .objs = { KF_OBJ(o) }, .n = 1, .wait_type = WaitAny, .mode = KernelMode, \
      .timeout = (timeout_), .label = (label_) }
#define KF_WAIT_EX(o, mode_, alertable_, timeout_, label_) \
    { .op = KF_OP_WAIT, .objs = { KF_OBJ(o) }, .n = 1, .wait_type = WaitAny, .mode = (mode_), \
      .alertable = (alertable_), .timeout = (timeout_), .label = (label_) }
/* KeWaitForMultipleObjects; the objects are KF_OBJ(...) expressions. */
#define KF_WAIT_MULTI(type_, timeout_, label_, ...) \
    { .op = KF_OP_WAIT, .objs = { __VA_ARGS__ }, .n = KF_NOBJS_(__VA_ARGS__), .wait_type = (type_), \
      .mode = KernelMode, .timeout = (timeout_), .label = (label_) }
#define KF_DELAY(timeout_, label_) \
    { .op = KF_OP_DELAY, .wait_type = WaitDelay, .mode = KernelMode, .timeout = (timeout_), .label = (label_) }
#define KF_SET_EVENT(e, inc)        { .op = KF_OP_SET_EVENT, .objs = { KF_OBJ(e) }, .n = 1, .a = (inc) }
#define KF_RESET_EVENT(e)           { .op = KF_OP_RESET_EVENT, .objs = { KF_OBJ(e) }, .n = 1 }
#define KF_PULSE_EVENT(e, inc)      { .op = KF_OP_PULSE_EVENT, .objs = { KF_OBJ(e) }, .n = 1, .a = (inc) }
#define KF_RELEASE_SEMAPHORE(s, inc, adj, label_) \
    { .op = KF_OP_RELEASE_SEMAPHORE, .objs = { KF_OBJ(s) }, .n = 1, .a = (inc), .b = (adj), .label = (label_) }
#define KF_RELEASE_MUTANT(mu, label_) \
    { .op = KF_OP_RELEASE_MUTANT, .objs = { KF_OBJ(mu) }, .n = 1, .label = (label_) }
#define KF_RAISE_IRQL(l)            { .op = KF_OP_RAISE_IRQL, .a = (l) }
#define KF_LOWER_IRQL(l)            { .op = KF_OP_LOWER_IRQL, .a = (l) }
#define KF_ENTER_CRITICAL_REGION()  { .op = KF_OP_ENTER_CRITICAL_REGION }
#define KF_LEAVE_CRITICAL_REGION()  { .op = KF_OP_LEAVE_CRITICAL_REGION }
#define KF_ENTER_GUARDED_REGION()   { .op = KF_OP_ENTER_GUARDED_REGION }
#define KF_LEAVE_GUARDED_REGION()   { .op = KF_OP_LEAVE_GUARDED_REGION }
#define KF_INSERT_DPC(d, cpu)       { .op = KF_OP_INSERT_DPC, .ptr = (d), .a = (cpu) }
#define KF_INSERT_APC(apc, inc)     { .op = KF_OP_INSERT_APC, .ptr = (apc), .a = (inc) }
#define KF_SET_PRIORITY(t, p)       { .op = KF_OP_SET_PRIORITY, .ptr = (t), .a = (p) }
#define KF_RECORD(label_)           { .op = KF_OP_RECORD, .label = (label_) }
#define KF_EXPECT(irql, kad, sad)   { .op = KF_OP_EXPECT, .a = (irql), .b = (kad), .c = (sad) }
#define KF_CHECK(fn, data_)         { .op = KF_OP_CHECK, .check = (fn), .data = (data_) }
#define KF_RETURN(code)             { .op = KF_OP_RETURN, .a = (code) }

/*
 * KF_CHECK_APC_STATE: the whole APC state of the thread running the step,
 * kmtests-style: the CPU's IRQL, KernelApcDisable, SpecialApcDisable,
 * ApcState.KernelApcPending / UserApcPending / KernelApcInProgress, the
 * thread's current mode (KernelMode unless the _MODE variant), and the
 * names of the APCs in ApcState's kernel and user lists, head first,
 * separated by one space ("" = empty). A mismatch fails the current test
 * (like KF_EXPECT) and names every differing field.
 * KF_CHECK_APC_STATE_OF checks another thread (its IRQL is not checked).
 */
#define KF_CHECK_APC_STATE(irql, kad, sad, kap_, uap_, kaip_, kl, ul) \
    { .op = KF_OP_CHECK_APC_STATE, .a = (irql), .b = (kad), .c = (sad), .kap = (kap_), .uap = (uap_), \
      .kaip = (kaip_), .klist = (kl), .ulist = (ul), .mode = KernelMode }
#define KF_CHECK_APC_STATE_MODE(mode_, irql, kad, sad, kap_, uap_, kaip_, kl, ul) \
    { .op = KF_OP_CHECK_APC_STATE, .a = (irql), .b = (kad), .c = (sad), .kap = (kap_), .uap = (uap_), \
      .kaip = (kaip_), .klist = (kl), .ulist = (ul), .mode = (mode_) }
#define KF_CHECK_APC_STATE_OF(thread, kad, sad, kap_, uap_, kaip_, kl, ul) \
    { .op = KF_OP_CHECK_APC_STATE, .ptr = (thread), .a = -1, .b = (kad), .c = (sad), .kap = (kap_), \
      .uap = (uap_), .kaip = (kaip_), .klist = (kl), .ulist = (ul), .mode = KernelMode }
/* In an APC's KernelRoutine: rewrite the call's NormalContext (D3). */
#define KF_SET_NORMAL_CONTEXT(v)    { .op = KF_OP_SET_NORMAL_CONTEXT, .a = (v) }
/* In an APC routine: log "thread:label=<NormalContext>@t". */
#define KF_RECORD_CONTEXT(label_)   { .op = KF_OP_RECORD_CONTEXT, .label = (label_) }
/* KeTestAlertThread(mode) (NtTestAlert's core, AL5). */
#define KF_TEST_ALERT(mode_, label_) { .op = KF_OP_TEST_ALERT, .mode = (mode_), .label = (label_) }
/* A system call of a user thread: enter (mode -> KernelMode) ... exit (D5-D7). */
#define KF_SYSCALL_ENTER(name_)     { .op = KF_OP_SYSCALL_ENTER, .label = (name_) }
#define KF_SYSCALL_EXIT()           { .op = KF_OP_SYSCALL_EXIT }
#define KF_REMOVE_APC(apc, label_)  { .op = KF_OP_REMOVE_APC, .ptr = (apc), .label = (label_) }
/* Logs the returned chain as "thread:label=[A B]@t" (names, in order). */
#define KF_FLUSH_APC(mode_, label_) { .op = KF_OP_FLUSH_APC, .mode = (mode_), .label = (label_) }

/* ---- the fake ----------------------------------------------------------- */

/* A fake with an empty log and no machine. */
KFake *kfake_new(void);
/* Free the fake, its machine (if any), its scripts and rows. NULL is allowed.
 * Every code frame's instance must have been released by then (checked). */
void kfake_free(KFake *fk);
/* Create the machine with the fake sink and runner (cfg NULL: defaults). */
KMACHINE *kfake_machine(KFake *fk, const KCONFIG *cfg);
/* The machine made by kfake_machine (NULL before). */
KMACHINE *kfake_m(const KFake *fk);
/* Run it (ke_machine_run); returns the stop reason. */
KSTOP_REASON kfake_run(KFake *fk);

/* Scripts. kfake_code_new reserves a code whose steps are set later (for
 * bodies that name objects created after the thread); the steps are copied. */
KCODE kfake_code_new(KFake *fk, const char *name);
void kfake_code_set(KFake *fk, KCODE code, const KfStep *steps, size_t n);
KCODE kfake_script(KFake *fk, const char *name, const KfStep *steps, size_t n);
#define KF_SCRIPT(fk, name, steps) kfake_script((fk), (name), (steps), G_N_ELEMENTS(steps))
#define KF_SET(fk, code, steps) kfake_code_set((fk), (code), (steps), G_N_ELEMENTS(steps))

/* A kernel-mode (system) thread running `body`. affinity 0 = all CPUs. */
KTHREAD *kfake_thread(KFake *fk, const char *name, int priority, uint64_t affinity, sim_time_t start_at,
                      KCODE body);
/* A user-mode thread (system = FALSE) of a new process "<name>.p": its body
 * starts in user mode after the first return to user mode. */
KTHREAD *kfake_user_thread(KFake *fk, const char *name, int priority, uint64_t affinity, sim_time_t start_at,
                           KCODE body);
KDPC *kfake_dpc(KFake *fk, const char *name, KCODE routine);
/* An APC for t whose routines are scripts: kr always, nr / rundown if their
 * ref is non-zero (nr.ref == 0: a special kernel APC). A KR script that ends
 * without KF_RETURN keeps the normal routine (as a Lua KR that leaves it). */
KAPC *kfake_apc(KFake *fk, KTHREAD *t, KPROCESSOR_MODE mode, const char *name, KCODE kr, KCODE nr,
                KCODE rundown);
/* The NormalContext the APC's routines see (default 0); each delivery
 * copies it (A6), a KR may rewrite the copy with KF_SET_NORMAL_CONTEXT. */
void kfake_apc_set_context(KFake *fk, KAPC *apc, int64_t context);
/* The APC names of a list, head first, separated by one space (g_free). */
char *kfake_apc_list(const GQueue *list);

/* ---- observation -------------------------------------------------------- */

const char *kfake_log(KFake *fk);
void kfake_log_clear(KFake *fk);
/* Append to the log (for KF_CHECK callbacks). */
void kfake_log_add(KFake *fk, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Failed KF_EXPECT steps (each also fails the current GTest case). */
int kfake_failures(const KFake *fk);
/* Code frames started / released so far (a leak check for the runner). */
int kfake_live_frames(const KFake *fk);

guint kfake_nrows(const KFake *fk);
const KfRow *kfake_row(const KFake *fk, guint i);
guint kfake_count(const KFake *fk, int kind);
/* Name registered for a thread/object/process id, or "?". */
const char *kfake_name(const KFake *fk, int32_t id);
/* The CONTEXT_SWITCH rows as "t:from>to" separated by spaces (cpu prefix
 * "cN/" when cpu >= 0 and the machine has more than one CPU). */
char *kfake_switches(const KFake *fk);
/* The rows of one kind for one thread (-1: all threads) formatted by the
 * kind's table (ktrace.h) as "t:a,b,c,d,e" separated by spaces. */
char *kfake_rows_text(const KFake *fk, int kind, int32_t thread);
/* Every row, one a line, for debugging a failing test. */
void kfake_dump(const KFake *fk, FILE *out);
/* True if the two fakes received the same rows (kind, t, cpu, thread, obj,
 * a..e, text) and the same names; on a difference *where is its index. */
bool kfake_same_rows(const KFake *x, const KFake *y, guint *where);

#endif /* APCSIM_TESTS_KFAKE_H */
