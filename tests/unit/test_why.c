/*
 * test_why.c - why_apc_queued (trace/why.c): for each condition that keeps
 * an APC queued, a snapshot built by hand with exactly that condition, and
 * the rule the sentence must name. The order of the tests follows the order
 * in which the kernel looks (I6/E4, D2, D3, then the thread's place).
 */
#include <glib.h>
#include <string.h>

#include "ke/ke.h"
#include "ke/snapshot.h"
#include "trace/why.h"

/* One CPU, one thread (id 1) running on it at PASSIVE in kernel mode. */
static KSNAP *one_thread(KSNAP_THREAD **out)
{
    KSNAP *s = ke_snapshot_new(1);
    KSNAP_THREAD *k = ke_snapshot_add_thread(s, 1);
    k->state = Running;
    k->cpu = 0;
    k->mode = KernelMode;
    k->apc_queueable = true;
    k->apc_state.process = 2;
    s->cpu[0].irql = PASSIVE_LEVEL;
    s->cpu[0].current = 1;
    *out = k;
    return s;
}

static void queue(KSNAP_APC_STATE *as, int mode, bool special, int32_t id)
{
    KSNAP_APC e = { .id = id, .special = special };
    if (!as->list[mode])
        as->list[mode] = g_array_new(FALSE, TRUE, sizeof(KSNAP_APC));
    g_array_append_val(as->list[mode], e);
}

/* The sentence for the APC at index of (block, mode). */
static char *why(const KSNAP *s, const KSNAP_THREAD *k, WhyBlock block, int mode, guint index, bool win10)
{
    WhyContext ctx = { .win10 = win10, .attached_to = "data.exe" };
    GString *out = g_string_new(NULL);
    why_apc_queued(out, s, k, block, mode, index, &ctx);
    return g_string_free(out, FALSE);
}

#define ASSERT_WHY(text, ...)                                                                                     \
    do {                                                                                                          \
        const char *needles_[] = { __VA_ARGS__, NULL };                                                           \
        for (int i_ = 0; needles_[i_]; i_++)                                                                      \
            if (!strstr((text), needles_[i_]))                                                                    \
                g_error("expected \"%s\" in: %s", needles_[i_], (text));                                          \
    } while (0)

/* I6, E4: an APC in SavedApcState of an attached thread is parked. */
static void test_parked_in_saved_state_I6_E4(void)
{
    KSNAP_THREAD *k;
    KSNAP *s = one_thread(&k);
    k->apc_state_index = 1;
    k->saved_apc_state.process = 2;
    k->apc_state.process = 3;
    queue(&k->saved_apc_state, KernelMode, true, 10);
    char *w = why(s, k, WHY_SAVED_APC_STATE, KernelMode, 0, false);
    ASSERT_WHY(w, "parked", "attached to data.exe", "(I6, E4, E6)");
    g_free(w);
    /* A4: the same block while not attached is the dormant one */
    k->apc_state_index = 0;
    w = why(s, k, WHY_SAVED_APC_STATE, KernelMode, 0, false);
    ASSERT_WHY(w, "unused SavedApcState", "(A4, I6)");
    g_free(w);
    w = why(s, k, WHY_STACK_BUFFER, KernelMode, 0, false);
    ASSERT_WHY(w, "KeStackAttachProcess buffer", "(E3, E4, E6)");
    g_free(w);
    ke_snapshot_free(s);
}

/* D2, R5: a guarded region holds back special and normal kernel APCs alike. */
static void test_guarded_region_D2_R5(void)
{
    KSNAP_THREAD *k;
    KSNAP *s = one_thread(&k);
    k->special_apc_disable = -1;
    k->kernel_apc_disable = -1;
    queue(&k->apc_state, KernelMode, true, 10);
    queue(&k->apc_state, KernelMode, false, 11);
    for (guint i = 0; i < 2; i++) {
        char *w = why(s, k, WHY_APC_STATE, KernelMode, i, false);
        ASSERT_WHY(w, "guarded region (SpecialApcDisable -1)", "(R5, D2)");
        g_free(w);
    }
    ke_snapshot_free(s);
}

/* R4, D3: a critical region holds back the normal kernel APC only; the
 * special one ahead of it is deliverable at PASSIVE. */
static void test_critical_region_R4_D3(void)
{
    KSNAP_THREAD *k;
    KSNAP *s = one_thread(&k);
    k->kernel_apc_disable = -2;
    queue(&k->apc_state, KernelMode, true, 10);
    queue(&k->apc_state, KernelMode, false, 11);
    char *w = why(s, k, WHY_APC_STATE, KernelMode, 1, false);
    ASSERT_WHY(w, "critical region (KernelApcDisable -2", "(R4, R8, D3)");
    g_free(w);
    w = why(s, k, WHY_APC_STATE, KernelMode, 0, false);
    ASSERT_WHY(w, "deliverable now", "CPU 0", "(R1, D1)");
    g_assert_null(strstr(w, "critical"));
    g_free(w);
    ke_snapshot_free(s);
}

/* D3: KernelApcInProgress; S6: the same bit while suspended; D3 [DIFF]:
 * win10's special in-progress bit holds normal APCs, nt52 ignores it. */
static void test_in_progress_D3_S6(void)
{
    KSNAP_THREAD *k;
    KSNAP *s = one_thread(&k);
    queue(&k->apc_state, KernelMode, false, 11);
    k->apc_state.kernel_apc_in_progress = true;
    char *w = why(s, k, WHY_APC_STATE, KernelMode, 0, false);
    ASSERT_WHY(w, "KernelApcInProgress", "(D3)");
    g_free(w);
    k->state = Waiting;
    k->wait_reason = Suspended;
    k->wait_mode = KernelMode;
    w = why(s, k, WHY_APC_STATE, KernelMode, 0, false);
    ASSERT_WHY(w, "suspended", "(S6, D3)");
    g_free(w);
    k->state = Running;
    k->apc_state.kernel_apc_in_progress = false;
    k->special_apc_in_progress = true;
    w = why(s, k, WHY_APC_STATE, KernelMode, 0, true);
    ASSERT_WHY(w, "SpecialApcInProgress", "(D3 [DIFF])");
    g_free(w);
    w = why(s, k, WHY_APC_STATE, KernelMode, 0, false);
    g_assert_null(strstr(w, "SpecialApcInProgress"));
    g_free(w);
    ke_snapshot_free(s);
}

/* R1, R3: running at APC_LEVEL or above; D3: next in a running KiDeliverApc. */
static void test_irql_R1_R3(void)
{
    KSNAP_THREAD *k;
    KSNAP *s = one_thread(&k);
    queue(&k->apc_state, KernelMode, true, 10);
    s->cpu[0].irql = DISPATCH_LEVEL;
    char *w = why(s, k, WHY_APC_STATE, KernelMode, 0, false);
    ASSERT_WHY(w, "runs at DISPATCH_LEVEL on CPU 0", "(R1, R3)");
    g_free(w);
    s->cpu[0].irql = APC_LEVEL;
    WhyContext ctx = { .in_kernel_routine = true };
    GString *out = g_string_new(NULL);
    why_apc_queued(out, s, k, WHY_APC_STATE, KernelMode, 0, &ctx);
    ASSERT_WHY(out->str, "KernelRoutine is running", "KiDeliverApc's loop takes the head of this list, which is "
                                                     "this APC (D3, R3)");
    g_string_free(out, TRUE);
    ke_snapshot_free(s);
}

/* D3: while a kernel routine runs, the queued kernel APCs are taken from
 * the head; a normal APC's KernelRoutine is followed by its NormalRoutine;
 * D4 + I8 + R1: during a user APC's KernelRoutine (the user phase) a kernel
 * APC comes by the APC interrupt its insertion requested. */
static void test_during_kernel_routine_D3_D4(void)
{
    KSNAP_THREAD *k;
    KSNAP *s = one_thread(&k);
    queue(&k->apc_state, KernelMode, true, 10);
    queue(&k->apc_state, KernelMode, false, 11);
    queue(&k->apc_state, KernelMode, false, 12);
    s->cpu[0].irql = APC_LEVEL;
    WhyContext ctx = { .in_kernel_routine = true, .running_known = true, .running_special = true };
    GString *out = g_string_new(NULL);
    why_apc_queued(out, s, k, WHY_APC_STATE, KernelMode, 2, &ctx);
    ASSERT_WHY(out->str, "a special kernel APC's KernelRoutine", "2 APCs ahead of this one come first (D3, R3)");
    g_string_truncate(out, 0);
    ctx.running_special = false;
    why_apc_queued(out, s, k, WHY_APC_STATE, KernelMode, 1, &ctx);
    ASSERT_WHY(out->str, "a normal kernel APC's KernelRoutine", "its NormalRoutine runs next",
               "1 APC ahead of this one comes first");
    g_string_truncate(out, 0);
    ctx.running_user = true;
    why_apc_queued(out, s, k, WHY_APC_STATE, KernelMode, 0, &ctx);
    ASSERT_WHY(out->str, "a user APC's KernelRoutine", "the user phase", "(I8, R1)");
    g_assert_null(strstr(out->str, "D3"));
    g_string_free(out, TRUE);
    ke_snapshot_free(s);
}

/* I8, W6: a waiter with WaitIrql APC_LEVEL is not woken; K2: a ready thread
 * runs its kernel APCs when switched in. */
static void test_wait_irql_and_ready_I8_K2(void)
{
    KSNAP_THREAD *k;
    KSNAP *s = one_thread(&k);
    queue(&k->apc_state, KernelMode, false, 11);
    k->state = Waiting;
    k->wait_mode = KernelMode;
    k->wait_irql = APC_LEVEL;
    char *w = why(s, k, WHY_APC_STATE, KernelMode, 0, false);
    ASSERT_WHY(w, "WaitIrql APC_LEVEL", "(I8, W6)");
    g_free(w);
    k->state = Ready;
    WhyContext ctx = { .switched_out_irql = PASSIVE_LEVEL };
    GString *out = g_string_new(NULL);
    why_apc_queued(out, s, k, WHY_APC_STATE, KernelMode, 0, &ctx);
    ASSERT_WHY(out->str, "the thread is Ready and was switched out at PASSIVE_LEVEL", "as it is switched in (K2)");
    /* K2: switched out at APC_LEVEL or above, only an APC interrupt is
     * requested; the APC waits for the thread's IRQL to drop */
    g_string_truncate(out, 0);
    ctx.switched_out_irql = DISPATCH_LEVEL;
    why_apc_queued(out, s, k, WHY_APC_STATE, KernelMode, 0, &ctx);
    ASSERT_WHY(out->str, "switched out at DISPATCH_LEVEL", "requests an APC interrupt", "drops below APC_LEVEL (K2, R1)");
    g_string_free(out, TRUE);
    ke_snapshot_free(s);
}

/* User APCs: a kernel-mode wait (I8, W6), a non-alertable user-mode wait
 * (W2), UserApcPending (D4, D5), FIFO order (I5, D4), NtContinue (D6), a pending user alert (W2a, AL5). */
static void test_user_apcs_I8_W2_D4_D6(void)
{
    KSNAP_THREAD *k;
    KSNAP *s = one_thread(&k);
    queue(&k->apc_state, UserMode, false, 20);
    queue(&k->apc_state, UserMode, false, 21);
    k->state = Waiting;
    k->wait_mode = KernelMode;
    k->alertable = true;
    char *w = why(s, k, WHY_APC_STATE, UserMode, 0, false);
    ASSERT_WHY(w, "waits in kernel mode", "(I8, W6, AL5)");
    g_assert_null(strstr(w, "behind"));
    g_free(w);
    k->wait_mode = UserMode;
    k->alertable = false;
    w = why(s, k, WHY_APC_STATE, UserMode, 1, false);
    ASSERT_WHY(w, "behind 1 earlier user APC in this FIFO list (I5, D4)", "non-alertable user-mode wait", "(I8, W2, W6, AL5)");
    g_free(w);
    k->state = Running;
    k->alerted[UserMode] = true;
    w = why(s, k, WHY_APC_STATE, UserMode, 0, false);
    ASSERT_WHY(w, "alertable user-mode wait or calls NtTestAlert", "Alerted[UserMode] is set", "(W2a, AL5)");
    g_free(w);
    k->apc_state.user_apc_pending = true;
    w = why(s, k, WHY_APC_STATE, UserMode, 0, false);
    ASSERT_WHY(w, "UserApcPending is set", "(D4, D5)");
    g_free(w);
    /* D6: inside a user APC's routine, NtContinue picks the next one up */
    k->alerted[UserMode] = false;
    k->mode = UserMode;
    WhyContext ctx = { .in_user_apc = true };
    GString *out = g_string_new(NULL);
    why_apc_queued(out, s, k, WHY_APC_STATE, UserMode, 0, &ctx);
    ASSERT_WHY(out->str, "NtContinue", "(D6)");
    /* AL5: with Alerted[UserMode] set, NtContinue's test consumes the alert */
    g_string_truncate(out, 0);
    k->alerted[UserMode] = true;
    why_apc_queued(out, s, k, WHY_APC_STATE, UserMode, 0, &ctx);
    ASSERT_WHY(out->str, "consumes the alert instead of arming UserApcPending", "(D6, AL5)");
    /* SU2, D6 [DIFF]: after a special user APC, win10 picks up no regular one */
    g_string_truncate(out, 0);
    k->alerted[UserMode] = false;
    WhyContext sctx = { .win10 = true, .in_user_apc = true, .running_known = true, .running_special = true };
    why_apc_queued(out, s, k, WHY_APC_STATE, UserMode, 0, &sctx);
    ASSERT_WHY(out->str, "a special user APC's routine is running", "(SU2, D6 [DIFF])");
    g_string_free(out, TRUE);
    ke_snapshot_free(s);
}

/* User APCs that no alertable wait delivers: a terminating thread's (T4,
 * T5), a system thread's (T5), the attached environment's (D7, E5), a
 * suspended thread's (S6); the exit APC itself (T3, T4). */
static void test_user_apcs_never_yet_T4_T5_D7_S6(void)
{
    KSNAP_THREAD *k;
    KSNAP *s = one_thread(&k);
    queue(&k->apc_state, UserMode, false, 30);
    queue(&k->apc_state, UserMode, false, 31);
    k->state = Waiting;
    k->wait_mode = UserMode;
    k->alertable = true;
    WhyContext ctx = { .terminating = true, .exit_apc = 30 };
    GString *out = g_string_new(NULL);
    why_apc_queued(out, s, k, WHY_APC_STATE, UserMode, 0, &ctx);
    ASSERT_WHY(out->str, "the thread's exit APC", "(T4)");
    g_string_truncate(out, 0);
    why_apc_queued(out, s, k, WHY_APC_STATE, UserMode, 1, &ctx);
    ASSERT_WHY(out->str, "the thread is terminating", "never run (T4, T5)");
    WhyContext none = { 0 };
    g_string_truncate(out, 0);
    k->system = true;
    why_apc_queued(out, s, k, WHY_APC_STATE, UserMode, 0, &none);
    ASSERT_WHY(out->str, "a system thread never returns to user mode", "(T5)");
    g_string_truncate(out, 0);
    k->system = false;
    k->apc_state_index = 1;
    why_apc_queued(out, s, k, WHY_APC_STATE, UserMode, 0, &none);
    ASSERT_WHY(out->str, "attached process's environment", "bugcheck, D7)", "INVALID_PROCESS_DETACH_ATTEMPT", "(E5)");
    g_string_truncate(out, 0);
    k->apc_state_index = 0;
    k->wait_mode = KernelMode;
    k->wait_reason = Suspended;
    why_apc_queued(out, s, k, WHY_APC_STATE, UserMode, 0, &none);
    ASSERT_WHY(out->str, "the thread is suspended", "(S6, W2)");
    g_string_free(out, TRUE);
    ke_snapshot_free(s);
}

/* SU2: special user APCs go ahead of regular ones, so a regular APC behind
 * only special ones is not "behind" anything in the FIFO sense. */
static void test_regular_behind_special_SU2(void)
{
    KSNAP_THREAD *k;
    KSNAP *s = one_thread(&k);
    queue(&k->apc_state, UserMode, true, 40);
    queue(&k->apc_state, UserMode, false, 41);
    queue(&k->apc_state, UserMode, false, 42);
    k->state = Waiting;
    k->wait_mode = UserMode;
    char *w = why(s, k, WHY_APC_STATE, UserMode, 1, true);
    g_assert_null(strstr(w, "behind"));
    ASSERT_WHY(w, "non-alertable user-mode wait");
    g_free(w);
    w = why(s, k, WHY_APC_STATE, UserMode, 2, true);
    ASSERT_WHY(w, "behind 1 earlier user APC in this FIFO list");
    g_free(w);
    ke_snapshot_free(s);
}

/* SU1, SU1b: a win10 special user APC; under nt52 the flag means nothing. */
static void test_special_user_SU1(void)
{
    KSNAP_THREAD *k;
    KSNAP *s = one_thread(&k);
    queue(&k->apc_state, UserMode, true, 20);
    k->state = Waiting;
    k->wait_mode = KernelMode;
    char *w = why(s, k, WHY_APC_STATE, UserMode, 0, true);
    ASSERT_WHY(w, "special user APC", "not interrupted", "(SU1)");
    g_free(w);
    k->state = Ready;
    w = why(s, k, WHY_APC_STATE, UserMode, 0, true);
    ASSERT_WHY(w, "next dispatched", "(SU1b)");
    g_free(w);
    w = why(s, k, WHY_APC_STATE, UserMode, 0, false);
    g_assert_null(strstr(w, "special user APC"));
    g_free(w);
    ke_snapshot_free(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/why/parked-in-saved-state-I6-E4", test_parked_in_saved_state_I6_E4);
    g_test_add_func("/why/guarded-region-D2-R5", test_guarded_region_D2_R5);
    g_test_add_func("/why/critical-region-R4-D3", test_critical_region_R4_D3);
    g_test_add_func("/why/in-progress-D3-S6", test_in_progress_D3_S6);
    g_test_add_func("/why/irql-R1-R3", test_irql_R1_R3);
    g_test_add_func("/why/wait-irql-and-ready-I8-K2", test_wait_irql_and_ready_I8_K2);
    g_test_add_func("/why/user-apcs-I8-W2-D4-D6", test_user_apcs_I8_W2_D4_D6);
    g_test_add_func("/why/special-user-SU1", test_special_user_SU1);
    g_test_add_func("/why/during-kernel-routine-D3-D4", test_during_kernel_routine_D3_D4);
    g_test_add_func("/why/user-apcs-never-yet-T4-T5-D7-S6", test_user_apcs_never_yet_T4_T5_D7_S6);
    g_test_add_func("/why/regular-behind-special-SU2", test_regular_behind_special_SU2);
    return g_test_run();
}
