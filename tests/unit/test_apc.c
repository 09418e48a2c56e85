/*
 * test_apc.c - unit tests of the APC machinery (SEMANTICS.md 1.A-1.D and
 * the worked cases of section 2) in the manner of ReactOS's kmtests: after
 * EVERY step of a thread body and inside every APC routine, the whole APC
 * state of the thread is checked with KF_CHECK_APC_STATE (kfake.h): IRQL,
 * KernelApcDisable, SpecialApcDisable, KernelApcPending, UserApcPending,
 * KernelApcInProgress, the current mode, and the kernel and user lists of
 * ApcState (APC names, head first).
 *
 * Notation of the checks below:  S(irql, KAD, SAD, KAP, UAP, KAIP, "kernel
 * list", "user list"). Expected values come from SEMANTICS.md, not from the
 * code; the test names carry the case and the rules they check.
 *
 * Assertions are non-fatal (g_test_set_nonfatal_assertions): one failing
 * test reports every disagreement of its run.
 */
#include <glib.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "ke/ke.h"
#include "kfake.h"

#define S(irql, kad, sad, kap, uap, kaip, kl, ul) KF_CHECK_APC_STATE(irql, kad, sad, kap, uap, kaip, kl, ul)
#define S_USER(irql, kad, sad, kap, uap, kaip, kl, ul) \
    KF_CHECK_APC_STATE_MODE(UserMode, irql, kad, sad, kap, uap, kaip, kl, ul)
#define S_OF(t, kad, sad, kap, uap, kaip, kl, ul) KF_CHECK_APC_STATE_OF(t, kad, sad, kap, uap, kaip, kl, ul)

/* CPU masks of a two-CPU machine. */
#define CPU0 ((uint64_t)1)
#define CPU1 ((uint64_t)2)

static const KCODE none = { 0, 0 };

/* ---- helpers ------------------------------------------------------------ */

static void test_fail(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static void
test_fail(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_test_message("FAIL: %s", msg);
    g_test_fail_printf("%s", msg);
    g_free(msg);
}

static KFake *
fake_new(int cpus)
{
    KCONFIG cfg;
    KFake *fk = kfake_new();

    ke_config_default(&cfg);
    cfg.cpus = cpus;
    kfake_machine(fk, &cfg);
    return fk;
}

static void
run_expect(KFake *fk, KSTOP_REASON want)
{
    KSTOP_REASON got = kfake_run(fk);
    KMACHINE *m = kfake_m(fk);

    if (got != want)
        test_fail("run stopped with \"%s\" (%s), expected \"%s\"", ke_stop_reason_name(got),
                  m->stop_message ? m->stop_message : m->bugchecked ? m->bugcheck.name : "-",
                  ke_stop_reason_name(want));
    if (g_test_failed() && g_test_verbose())
        kfake_dump(fk, stderr);
}

/* The values a thread field took through TR_FIELD rows, as "v1 v2 ...". */
static char *
field_history(KFake *fk, const KTHREAD *t, int field)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < kfake_nrows(fk); i++) {
        const KfRow *r = kfake_row(fk, i);
        if (r->kind != TR_FIELD || r->thread != t->id || r->a != field)
            continue;
        g_string_append_printf(s, "%s%" PRId64, s->len ? " " : "", r->c);
    }
    return g_string_free(s, FALSE);
}

static void
assert_field_history(KFake *fk, const KTHREAD *t, int field, const char *expected)
{
    g_autofree char *s = field_history(fk, t, field);

    g_assert_cmpstr(s, ==, expected);
}

/* APC software interrupts taken on t (SWINT_DISPATCH rows at APC_LEVEL). */
static guint
apc_interrupts(KFake *fk, const KTHREAD *t)
{
    guint n = 0;

    for (guint i = 0; i < kfake_nrows(fk); i++) {
        const KfRow *r = kfake_row(fk, i);
        n += r->kind == TR_SWINT_DISPATCH && r->thread == t->id && r->a == APC_LEVEL;
    }
    return n;
}

/* KF_CHECK: no APC software interrupt is latched on this CPU (data NULL) or
 * one is (data non-NULL). */
static void
check_apc_latch(KFake *fk, KMACHINE *m, KTHREAD *t, void *data)
{
    bool latched = (m->running_cpu->swint & SWINT_APC) != 0;

    (void)fk;
    if (latched != (data != NULL))
        test_fail("t=%" PRId64 " on %s: APC request latched = %d, expected %d", m->now, t->header.name, latched,
                  data != NULL);
}
static int latched_token;
#define LATCHED (&latched_token)

/* KF_CHECK: the APC `data` is (not) inserted. Two variants for the flag. */
static void
check_inserted(KFake *fk, KMACHINE *m, KTHREAD *t, void *data)
{
    const KAPC *apc = data;

    (void)fk;
    if (!apc->inserted)
        test_fail("t=%" PRId64 " on %s: %s.Inserted is FALSE, expected TRUE", m->now, t->header.name, apc->name);
}

static void
check_not_inserted(KFake *fk, KMACHINE *m, KTHREAD *t, void *data)
{
    const KAPC *apc = data;

    (void)fk;
    if (apc->inserted || apc->state != NULL)
        test_fail("t=%" PRId64 " on %s: %s.Inserted is TRUE, expected FALSE", m->now, t->header.name, apc->name);
}

/* ---- C02 / I5 / D3: queue shape and delivery order ------------------------ */

/*
 * C02: T1 runs on CPU1 at APC_LEVEL; T2 (CPU0) inserts NK N1, NK N2, SK S1,
 * SK S2, NK N3 into it. The kernel list is [S1 S2 N1 N2 N3] (I5); KAP is set
 * by the first insertion (I8) and the APC request stays latched. Lowering to
 * PASSIVE runs one KiDeliverApc: KR_S1, KR_S2 at APC_LEVEL, then each NK's
 * KR at APC_LEVEL and NR at PASSIVE with KAIP set (D3, D9); every routine
 * sees the list without itself and KAP already cleared (D2).
 */
static void
test_c02_special_jumps_ahead(void)
{
    KFake *fk = fake_new(2);
    const KfStep kr_s1[] = { KF_RECORD("KR_S1"), S(APC_LEVEL, 0, 0, 0, 0, 0, "S2 N1 N2 N3", "") };
    const KfStep kr_s2[] = { KF_RECORD("KR_S2"), S(APC_LEVEL, 0, 0, 0, 0, 0, "N1 N2 N3", "") };
    const KfStep kr_n1[] = { KF_RECORD("KR_N1"), S(APC_LEVEL, 0, 0, 0, 0, 0, "N2 N3", "") };
    const KfStep nr_n1[] = { KF_RECORD("NR_N1"), S(PASSIVE_LEVEL, 0, 0, 0, 0, 1, "N2 N3", "") };
    const KfStep kr_n2[] = { KF_RECORD("KR_N2"), S(APC_LEVEL, 0, 0, 0, 0, 0, "N3", "") };
    const KfStep nr_n2[] = { KF_RECORD("NR_N2"), S(PASSIVE_LEVEL, 0, 0, 0, 0, 1, "N3", "") };
    const KfStep kr_n3[] = { KF_RECORD("KR_N3"), S(APC_LEVEL, 0, 0, 0, 0, 0, "", "") };
    const KfStep nr_n3[] = { KF_RECORD("NR_N3"), S(PASSIVE_LEVEL, 0, 0, 0, 0, 1, "", "") };
    KCODE body1 = kfake_code_new(fk, "T1");
    KCODE body2 = kfake_code_new(fk, "T2");
    KTHREAD *t1 = kfake_thread(fk, "T1", 8, CPU1, 0, body1);
    kfake_thread(fk, "T2", 8, CPU0, 0, body2);
    KAPC *n1 = kfake_apc(fk, t1, KernelMode, "N1", KF_SCRIPT(fk, "kr_n1", kr_n1), KF_SCRIPT(fk, "nr_n1", nr_n1), none);
    KAPC *n2 = kfake_apc(fk, t1, KernelMode, "N2", KF_SCRIPT(fk, "kr_n2", kr_n2), KF_SCRIPT(fk, "nr_n2", nr_n2), none);
    KAPC *s1 = kfake_apc(fk, t1, KernelMode, "S1", KF_SCRIPT(fk, "kr_s1", kr_s1), none, none);
    KAPC *s2 = kfake_apc(fk, t1, KernelMode, "S2", KF_SCRIPT(fk, "kr_s2", kr_s2), none, none);
    KAPC *n3 = kfake_apc(fk, t1, KernelMode, "N3", KF_SCRIPT(fk, "kr_n3", kr_n3), KF_SCRIPT(fk, "nr_n3", nr_n3), none);
    const KfStep steps1[] = {
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
        KF_RAISE_IRQL(APC_LEVEL),
        S(APC_LEVEL, 0, 0, 0, 0, 0, "", ""),
        KF_COMPUTE(100),
        S(APC_LEVEL, 0, 0, 1, 0, 0, "S1 S2 N1 N2 N3", ""),
        KF_CHECK(check_apc_latch, LATCHED),
        KF_RECORD("lower"),
        KF_LOWER_IRQL(PASSIVE_LEVEL),
        KF_RECORD("lowered"),
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
        KF_CHECK(check_apc_latch, NULL),
    };
    const KfStep steps2[] = {
        KF_COMPUTE(10),
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
        KF_INSERT_APC(n1, 0),
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
        S_OF(t1, 0, 0, 1, 0, 0, "N1", ""),
        KF_INSERT_APC(n2, 0),
        S_OF(t1, 0, 0, 1, 0, 0, "N1 N2", ""),
        KF_INSERT_APC(s1, 0),
        S_OF(t1, 0, 0, 1, 0, 0, "S1 N1 N2", ""),
        KF_INSERT_APC(s2, 0),
        S_OF(t1, 0, 0, 1, 0, 0, "S1 S2 N1 N2", ""),
        KF_INSERT_APC(n3, 0),
        S_OF(t1, 0, 0, 1, 0, 0, "S1 S2 N1 N2 N3", ""),
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
    };

    KF_SET(fk, body1, steps1);
    KF_SET(fk, body2, steps2);
    run_expect(fk, StopAllTerminated);
    g_assert_cmpstr(kfake_log(fk), ==,
                    "T1:lower@100 T1:KR_S1@100 T1:KR_S2@100 T1:KR_N1@100 T1:NR_N1@100 T1:KR_N2@100 T1:NR_N2@100 "
                    "T1:KR_N3@100 T1:NR_N3@100 T1:lowered@100");
    /* One KiDeliverApc call: KAP cleared once, KAIP set and cleared per NR. */
    assert_field_history(fk, t1, FLD_KERNEL_APC_PENDING, "1 0");
    assert_field_history(fk, t1, FLD_KERNEL_APC_IN_PROGRESS, "1 0 1 0 1 0");
    g_assert_cmpint(kfake_failures(fk), ==, 0);
    kfake_free(fk);
}

/*
 * I5: self-insertions at APC_LEVEL of N1 S1 N2 S2 S3 N3: each SK goes after
 * the last SK and before the first NK, each NK at the tail; both groups
 * stay FIFO. KAP is set by the first insertion; nothing runs before the
 * lowering, which delivers S1 S2 S3 N1 N2 N3.
 */
static void
test_i5_special_after_last_special(void)
{
    KFake *fk = fake_new(1);
    const KfStep kr_s1[] = { KF_RECORD("S1"), S(APC_LEVEL, 0, 0, 0, 0, 0, "S2 S3 N1 N2 N3", "") };
    const KfStep kr_s2[] = { KF_RECORD("S2"), S(APC_LEVEL, 0, 0, 0, 0, 0, "S3 N1 N2 N3", "") };
    const KfStep kr_s3[] = { KF_RECORD("S3"), S(APC_LEVEL, 0, 0, 0, 0, 0, "N1 N2 N3", "") };
    const KfStep kr_n1[] = { KF_RECORD("N1"), S(APC_LEVEL, 0, 0, 0, 0, 0, "N2 N3", "") };
    const KfStep kr_n2[] = { KF_RECORD("N2"), S(APC_LEVEL, 0, 0, 0, 0, 0, "N3", "") };
    const KfStep kr_n3[] = { KF_RECORD("N3"), S(APC_LEVEL, 0, 0, 0, 0, 0, "", "") };
    /* The NRs: PASSIVE with KAIP set (the lists are checked by the KRs, which
     * see them with their own APC removed; the NR sees the same list). */
    const KfStep nr1[] = { KF_RECORD("nr"), S(PASSIVE_LEVEL, 0, 0, 0, 0, 1, "N2 N3", "") };
    const KfStep nr2[] = { KF_RECORD("nr"), S(PASSIVE_LEVEL, 0, 0, 0, 0, 1, "N3", "") };
    const KfStep nr3[] = { KF_RECORD("nr"), S(PASSIVE_LEVEL, 0, 0, 0, 0, 1, "", "") };
    KCODE body = kfake_code_new(fk, "T1");
    KTHREAD *t1 = kfake_thread(fk, "T1", 8, 0, 0, body);
    KAPC *n1 = kfake_apc(fk, t1, KernelMode, "N1", KF_SCRIPT(fk, "kr_n1", kr_n1), KF_SCRIPT(fk, "nr1", nr1), none);
    KAPC *s1 = kfake_apc(fk, t1, KernelMode, "S1", KF_SCRIPT(fk, "kr_s1", kr_s1), none, none);
    KAPC *n2 = kfake_apc(fk, t1, KernelMode, "N2", KF_SCRIPT(fk, "kr_n2", kr_n2), KF_SCRIPT(fk, "nr2", nr2), none);
    KAPC *s2 = kfake_apc(fk, t1, KernelMode, "S2", KF_SCRIPT(fk, "kr_s2", kr_s2), none, none);
    KAPC *s3 = kfake_apc(fk, t1, KernelMode, "S3", KF_SCRIPT(fk, "kr_s3", kr_s3), none, none);
    KAPC *n3 = kfake_apc(fk, t1, KernelMode, "N3", KF_SCRIPT(fk, "kr_n3", kr_n3), KF_SCRIPT(fk, "nr3", nr3), none);
    const KfStep steps[] = {
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
        KF_RAISE_IRQL(APC_LEVEL),
        S(APC_LEVEL, 0, 0, 0, 0, 0, "", ""),
        KF_INSERT_APC(n1, 0),
        S(APC_LEVEL, 0, 0, 1, 0, 0, "N1", ""),
        KF_INSERT_APC(s1, 0),
        S(APC_LEVEL, 0, 0, 1, 0, 0, "S1 N1", ""),
        KF_INSERT_APC(n2, 0),
        S(APC_LEVEL, 0, 0, 1, 0, 0, "S1 N1 N2", ""),
        KF_INSERT_APC(s2, 0),
        S(APC_LEVEL, 0, 0, 1, 0, 0, "S1 S2 N1 N2", ""),
        KF_INSERT_APC(s3, 0),
        S(APC_LEVEL, 0, 0, 1, 0, 0, "S1 S2 S3 N1 N2", ""),
        KF_INSERT_APC(n3, 0),
        S(APC_LEVEL, 0, 0, 1, 0, 0, "S1 S2 S3 N1 N2 N3", ""),
        KF_CHECK(check_apc_latch, LATCHED),
        KF_LOWER_IRQL(PASSIVE_LEVEL),
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
    };

    KF_SET(fk, body, steps);
    run_expect(fk, StopAllTerminated);
    g_assert_cmpstr(kfake_log(fk), ==, "T1:S1@0 T1:S2@0 T1:S3@0 T1:N1@0 T1:nr@0 T1:N2@0 T1:nr@0 T1:N3@0 T1:nr@0");
    g_assert_cmpint(kfake_failures(fk), ==, 0);
    kfake_free(fk);
}

/* ---- C06 / R4 / R6: critical regions --------------------------------------- */

/*
 * C06: T1 at PASSIVE in a critical region (KAD = -1) inserts NK N1 into
 * itself: KAP is set and the APC interrupt fires at once (I7); KiDeliverApc
 * clears KAP, finds N1 blocked by KAD and returns (D3): N1 stays queued,
 * KAP FALSE. KeLeaveCriticalRegion (KAD -> 0, list non-empty, SAD 0,
 * PASSIVE) delivers KR_N1@APC and NR_N1@PASSIVE before it returns (R4, R6).
 */
static void
test_c06_nk_deferred_by_critical_region(void)
{
    KFake *fk = fake_new(1);
    const KfStep kr[] = { KF_RECORD("KR_N1"), S(APC_LEVEL, 0, 0, 0, 0, 0, "", "") };
    const KfStep nr[] = { KF_RECORD("NR_N1"), S(PASSIVE_LEVEL, 0, 0, 0, 0, 1, "", "") };
    KCODE body = kfake_code_new(fk, "T1");
    KTHREAD *t1 = kfake_thread(fk, "T1", 8, 0, 0, body);
    KAPC *n1 = kfake_apc(fk, t1, KernelMode, "N1", KF_SCRIPT(fk, "kr", kr), KF_SCRIPT(fk, "nr", nr), none);
    const KfStep steps[] = {
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
        KF_ENTER_CRITICAL_REGION(),
        S(PASSIVE_LEVEL, -1, 0, 0, 0, 0, "", ""),
        KF_INSERT_APC(n1, 0),
        KF_RECORD("inserted"),
        S(PASSIVE_LEVEL, -1, 0, 0, 0, 0, "N1", ""),
        KF_CHECK(check_apc_latch, NULL),
        KF_CHECK(check_inserted, n1),
        KF_COMPUTE(50),
        S(PASSIVE_LEVEL, -1, 0, 0, 0, 0, "N1", ""),
        KF_LEAVE_CRITICAL_REGION(),
        KF_RECORD("left"),
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
        KF_CHECK(check_not_inserted, n1),
    };

    KF_SET(fk, body, steps);
    run_expect(fk, StopAllTerminated);
    g_assert_cmpstr(kfake_log(fk), ==, "T1:inserted@0 T1:KR_N1@50 T1:NR_N1@50 T1:left@50");
    /* KAP: set by the insertion, cleared by the interrupt's KiDeliverApc;
     * the synchronous delivery of R6 clears it again (no change: no row). */
    assert_field_history(fk, t1, FLD_KERNEL_APC_PENDING, "1 0");
    g_assert_cmpuint(apc_interrupts(fk, t1), ==, 1);
    g_assert_cmpint(kfake_failures(fk), ==, 0);
    kfake_free(fk);
}

/*
 * C06 nested variant: KAD = -2; the first Leave (KAD -> -1) does nothing,
 * the second delivers. Then an unbalanced-looking but legal sequence: enter
 * a critical region, enter a guarded region, leave the CRITICAL one first
 * (KAD -> 0 but SAD != 0: no delivery, R4), then the guarded one (SAD -> 0,
 * list non-empty: delivery, R5).
 */
static void
test_c06_nested_and_interleaved_regions(void)
{
    KFake *fk = fake_new(1);
    const KfStep kr1[] = { KF_RECORD("KR_N1"), S(APC_LEVEL, 0, 0, 0, 0, 0, "", "") };
    const KfStep nr1[] = { KF_RECORD("NR_N1"), S(PASSIVE_LEVEL, 0, 0, 0, 0, 1, "", "") };
    const KfStep kr2[] = { KF_RECORD("KR_N2"), S(APC_LEVEL, 0, 0, 0, 0, 0, "", "") };
    const KfStep nr2[] = { KF_RECORD("NR_N2"), S(PASSIVE_LEVEL, 0, 0, 0, 0, 1, "", "") };
    KCODE body = kfake_code_new(fk, "T1");
    KTHREAD *t1 = kfake_thread(fk, "T1", 8, 0, 0, body);
    KAPC *n1 = kfake_apc(fk, t1, KernelMode, "N1", KF_SCRIPT(fk, "kr1", kr1), KF_SCRIPT(fk, "nr1", nr1), none);
    KAPC *n2 = kfake_apc(fk, t1, KernelMode, "N2", KF_SCRIPT(fk, "kr2", kr2), KF_SCRIPT(fk, "nr2", nr2), none);
    const KfStep steps[] = {
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
        KF_ENTER_CRITICAL_REGION(),
        S(PASSIVE_LEVEL, -1, 0, 0, 0, 0, "", ""),
        KF_ENTER_CRITICAL_REGION(),
        S(PASSIVE_LEVEL, -2, 0, 0, 0, 0, "", ""),
        KF_INSERT_APC(n1, 0),
        S(PASSIVE_LEVEL, -2, 0, 0, 0, 0, "N1", ""),
        KF_LEAVE_CRITICAL_REGION(),
        KF_RECORD("left-1"),
        S(PASSIVE_LEVEL, -1, 0, 0, 0, 0, "N1", ""),
        KF_LEAVE_CRITICAL_REGION(),
        KF_RECORD("left-2"),
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
        /* interleaved: CR, GR, leave CR, leave GR */
        KF_ENTER_CRITICAL_REGION(),
        S(PASSIVE_LEVEL, -1, 0, 0, 0, 0, "", ""),
        KF_ENTER_GUARDED_REGION(),
        S(PASSIVE_LEVEL, -1, -1, 0, 0, 0, "", ""),
        KF_INSERT_APC(n2, 0),
        /* SAD != 0: KAP set, no interrupt requested (I7) */
        S(PASSIVE_LEVEL, -1, -1, 1, 0, 0, "N2", ""),
        KF_CHECK(check_apc_latch, NULL),
        KF_LEAVE_CRITICAL_REGION(),
        KF_RECORD("left-cr"),
        S(PASSIVE_LEVEL, 0, -1, 1, 0, 0, "N2", ""),
        KF_LEAVE_GUARDED_REGION(),
        KF_RECORD("left-gr"),
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
    };

    KF_SET(fk, body, steps);
    run_expect(fk, StopAllTerminated);
    g_assert_cmpstr(kfake_log(fk), ==,
                    "T1:left-1@0 T1:KR_N1@0 T1:NR_N1@0 T1:left-2@0 T1:left-cr@0 T1:KR_N2@0 T1:NR_N2@0 T1:left-gr@0");
    g_assert_cmpint(kfake_failures(fk), ==, 0);
    kfake_free(fk);
}

/*
 * R4/R6 at APC_LEVEL (legal: e.g. under a fast mutex). Leaving a critical
 * region with an empty kernel list does nothing (R4: the list test). With
 * N1 queued (KAD -1, lowered once: the interrupt found it blocked, D3),
 * leaving at APC_LEVEL cannot deliver synchronously: KiCheckForKernelApc-
 * Delivery sets KAP and requests an APC interrupt (R6), which delivers
 * KR_N1 / NR_N1 when the IRQL drops to PASSIVE.
 */
static void
test_r6_leave_critical_region_at_apc_level(void)
{
    KFake *fk = fake_new(1);
    const KfStep kr[] = { KF_RECORD("KR_N1"), S(APC_LEVEL, 0, 0, 0, 0, 0, "", "") };
    const KfStep nr[] = { KF_RECORD("NR_N1"), S(PASSIVE_LEVEL, 0, 0, 0, 0, 1, "", "") };
    KCODE body = kfake_code_new(fk, "T1");
    KTHREAD *t1 = kfake_thread(fk, "T1", 8, 0, 0, body);
    KAPC *n1 = kfake_apc(fk, t1, KernelMode, "N1", KF_SCRIPT(fk, "kr", kr), KF_SCRIPT(fk, "nr", nr), none);
    const KfStep steps[] = {
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
        KF_RAISE_IRQL(APC_LEVEL),
        S(APC_LEVEL, 0, 0, 0, 0, 0, "", ""),
        KF_ENTER_CRITICAL_REGION(),
        S(APC_LEVEL, -1, 0, 0, 0, 0, "", ""),
        KF_LEAVE_CRITICAL_REGION(),
        S(APC_LEVEL, 0, 0, 0, 0, 0, "", ""),
        KF_CHECK(check_apc_latch, NULL),
        KF_ENTER_CRITICAL_REGION(),
        S(APC_LEVEL, -1, 0, 0, 0, 0, "", ""),
        KF_INSERT_APC(n1, 0),
        S(APC_LEVEL, -1, 0, 1, 0, 0, "N1", ""),
        KF_CHECK(check_apc_latch, LATCHED),
        KF_LOWER_IRQL(PASSIVE_LEVEL),
        KF_RECORD("lowered"),
        S(PASSIVE_LEVEL, -1, 0, 0, 0, 0, "N1", ""),
        KF_CHECK(check_apc_latch, NULL),
        KF_RAISE_IRQL(APC_LEVEL),
        S(APC_LEVEL, -1, 0, 0, 0, 0, "N1", ""),
        KF_LEAVE_CRITICAL_REGION(),
        KF_RECORD("left"),
        S(APC_LEVEL, 0, 0, 1, 0, 0, "N1", ""),
        KF_CHECK(check_apc_latch, LATCHED),
        KF_LOWER_IRQL(PASSIVE_LEVEL),
        KF_RECORD("lowered-again"),
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
    };

    KF_SET(fk, body, steps);
    run_expect(fk, StopAllTerminated);
    g_assert_cmpstr(kfake_log(fk), ==, "T1:lowered@0 T1:left@0 T1:KR_N1@0 T1:NR_N1@0 T1:lowered-again@0");
    g_assert_cmpuint(apc_interrupts(fk, t1), ==, 2);
    assert_field_history(fk, t1, FLD_KERNEL_APC_PENDING, "1 0 1 0");
    g_assert_cmpint(kfake_failures(fk), ==, 0);
    kfake_free(fk);
}

/* ---- C07 / C08 / D2: remote insertions into a thread in a region ----------- */

/*
 * C07: T1 on CPU1 at PASSIVE with KAD = -1; T2 (CPU0) inserts SK S1 at
 * t=10: KAP set (seen by T2 right after the call), IPI, the APC interrupt
 * on CPU1 runs KR_S1@APC at once with KAD still -1 (R4: SKs are not
 * blocked by a critical region).
 */
static void
test_c07_sk_not_blocked_by_critical_region(void)
{
    KFake *fk = fake_new(2);
    const KfStep kr[] = { KF_RECORD("KR_S1"), S(APC_LEVEL, -1, 0, 0, 0, 0, "", "") };
    KCODE body1 = kfake_code_new(fk, "T1");
    KCODE body2 = kfake_code_new(fk, "T2");
    KTHREAD *t1 = kfake_thread(fk, "T1", 8, CPU1, 0, body1);
    kfake_thread(fk, "T2", 8, CPU0, 0, body2);
    KAPC *s1 = kfake_apc(fk, t1, KernelMode, "S1", KF_SCRIPT(fk, "kr", kr), none, none);
    const KfStep steps1[] = {
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
        KF_ENTER_CRITICAL_REGION(),
        S(PASSIVE_LEVEL, -1, 0, 0, 0, 0, "", ""),
        KF_COMPUTE(100),
        KF_RECORD("computed"),
        S(PASSIVE_LEVEL, -1, 0, 0, 0, 0, "", ""),
        KF_LEAVE_CRITICAL_REGION(),
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
    };
    const KfStep steps2[] = {
        KF_COMPUTE(10),
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
        KF_INSERT_APC(s1, 0),
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
        S_OF(t1, -1, 0, 1, 0, 0, "S1", ""),
    };

    KF_SET(fk, body1, steps1);
    KF_SET(fk, body2, steps2);
    run_expect(fk, StopAllTerminated);
    g_assert_cmpstr(kfake_log(fk), ==, "T1:KR_S1@10 T1:computed@100");
    g_assert_cmpuint(apc_interrupts(fk, t1), ==, 1);
    g_assert_cmpint(kfake_failures(fk), ==, 0);
    kfake_free(fk);
}

/*
 * C08 / D2: T1 on CPU1 at PASSIVE with SAD = -1; T2 inserts SK S1 and NK N1
 * at t=10: KAP set, IPI; the APC interrupt runs KiDeliverApc, which clears
 * KAP and returns at once (D2: SAD != 0) - nothing delivered, both stay
 * queued. KeLeaveGuardedRegion (SAD -> 0, list non-empty) delivers KR_S1,
 * then KR_N1 / NR_N1, before it returns (R5, R6).
 */
static void
test_c08_sk_blocked_by_guarded_region(void)
{
    KFake *fk = fake_new(2);
    const KfStep kr_s1[] = { KF_RECORD("KR_S1"), S(APC_LEVEL, 0, 0, 0, 0, 0, "N1", "") };
    const KfStep kr_n1[] = { KF_RECORD("KR_N1"), S(APC_LEVEL, 0, 0, 0, 0, 0, "", "") };
    const KfStep nr_n1[] = { KF_RECORD("NR_N1"), S(PASSIVE_LEVEL, 0, 0, 0, 0, 1, "", "") };
    KCODE body1 = kfake_code_new(fk, "T1");
    KCODE body2 = kfake_code_new(fk, "T2");
    KTHREAD *t1 = kfake_thread(fk, "T1", 8, CPU1, 0, body1);
    kfake_thread(fk, "T2", 8, CPU0, 0, body2);
    KAPC *s1 = kfake_apc(fk, t1, KernelMode, "S1", KF_SCRIPT(fk, "kr_s1", kr_s1), none, none);
    KAPC *n1 = kfake_apc(fk, t1, KernelMode, "N1", KF_SCRIPT(fk, "kr_n1", kr_n1), KF_SCRIPT(fk, "nr_n1", nr_n1),
                         none);
    const KfStep steps1[] = {
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
        KF_ENTER_GUARDED_REGION(),
        S(PASSIVE_LEVEL, 0, -1, 0, 0, 0, "", ""),
        KF_COMPUTE(100),
        KF_RECORD("computed"),
        S(PASSIVE_LEVEL, 0, -1, 0, 0, 0, "S1 N1", ""),
        KF_LEAVE_GUARDED_REGION(),
        KF_RECORD("left"),
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
    };
    const KfStep steps2[] = {
        KF_COMPUTE(10),
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
        KF_INSERT_APC(s1, 0),
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
        S_OF(t1, 0, -1, 1, 0, 0, "S1", ""),
        KF_INSERT_APC(n1, 0),
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
        S_OF(t1, 0, -1, 1, 0, 0, "S1 N1", ""),
    };

    KF_SET(fk, body1, steps1);
    KF_SET(fk, body2, steps2);
    run_expect(fk, StopAllTerminated);
    g_assert_cmpstr(kfake_log(fk), ==, "T1:computed@100 T1:KR_S1@100 T1:KR_N1@100 T1:NR_N1@100 T1:left@100");
    /* The IPI's interrupt ran KiDeliverApc (KAP 1 -> 0) and delivered nothing. */
    g_assert_cmpuint(apc_interrupts(fk, t1), ==, 1);
    assert_field_history(fk, t1, FLD_KERNEL_APC_PENDING, "1 0");
    g_assert_cmpint(kfake_failures(fk), ==, 0);
    kfake_free(fk);
}

/*
 * C08 self-insertion variant: T1 inserts S1 into itself with SAD = -1:
 * KAP = TRUE but no APC interrupt is even requested (I7); KAP stays TRUE
 * until KeLeaveGuardedRegion delivers KR_S1 (whose KiDeliverApc clears it).
 */
static void
test_c08_self_insert_in_guarded_region(void)
{
    KFake *fk = fake_new(1);
    const KfStep kr[] = { KF_RECORD("KR_S1"), S(APC_LEVEL, 0, 0, 0, 0, 0, "", "") };
    KCODE body = kfake_code_new(fk, "T1");
    KTHREAD *t1 = kfake_thread(fk, "T1", 8, 0, 0, body);
    KAPC *s1 = kfake_apc(fk, t1, KernelMode, "S1", KF_SCRIPT(fk, "kr", kr), none, none);
    const KfStep steps[] = {
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
        KF_ENTER_GUARDED_REGION(),
        S(PASSIVE_LEVEL, 0, -1, 0, 0, 0, "", ""),
        KF_INSERT_APC(s1, 0),
        S(PASSIVE_LEVEL, 0, -1, 1, 0, 0, "S1", ""),
        KF_CHECK(check_apc_latch, NULL),
        KF_COMPUTE(30),
        S(PASSIVE_LEVEL, 0, -1, 1, 0, 0, "S1", ""),
        KF_RECORD("leave"),
        KF_LEAVE_GUARDED_REGION(),
        KF_RECORD("left"),
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
    };

    KF_SET(fk, body, steps);
    run_expect(fk, StopAllTerminated);
    g_assert_cmpstr(kfake_log(fk), ==, "T1:leave@30 T1:KR_S1@30 T1:left@30");
    g_assert_cmpuint(apc_interrupts(fk, t1), ==, 0);
    g_assert_cmpint(kfake_failures(fk), ==, 0);
    kfake_free(fk);
}

/* ---- C09 / R1: DPC before APC ---------------------------------------------- */

/*
 * C09: at DISPATCH_LEVEL T1 queues DPC D1 and inserts SK S1 into itself.
 * Variant a: lowering to APC_LEVEL runs D1 (at DISPATCH, on T1's stack) but
 * not S1; lowering to PASSIVE runs KR_S1. Variant b: lowering straight to
 * PASSIVE runs D1 then KR_S1 (R1).
 */
static void
c09(bool two_steps)
{
    KFake *fk = fake_new(1);
    const KfStep kr[] = { KF_RECORD("KR_S1"), S(APC_LEVEL, 0, 0, 0, 0, 0, "", "") };
    /* The DPC runs on T1's stack: T1's state, IRQL DISPATCH, S1 still queued. */
    const KfStep dpc[] = { KF_RECORD("D1"), S(DISPATCH_LEVEL, 0, 0, 1, 0, 0, "S1", "") };
    KCODE body = kfake_code_new(fk, "T1");
    KTHREAD *t1 = kfake_thread(fk, "T1", 8, 0, 0, body);
    KAPC *s1 = kfake_apc(fk, t1, KernelMode, "S1", KF_SCRIPT(fk, "kr", kr), none, none);
    KDPC *d1 = kfake_dpc(fk, "D1", KF_SCRIPT(fk, "dpc", dpc));
    const KfStep steps_a[] = {
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
        KF_RAISE_IRQL(DISPATCH_LEVEL),
        S(DISPATCH_LEVEL, 0, 0, 0, 0, 0, "", ""),
        KF_INSERT_DPC(d1, 0),
        S(DISPATCH_LEVEL, 0, 0, 0, 0, 0, "", ""),
        KF_INSERT_APC(s1, 0),
        S(DISPATCH_LEVEL, 0, 0, 1, 0, 0, "S1", ""),
        KF_COMPUTE(10),
        S(DISPATCH_LEVEL, 0, 0, 1, 0, 0, "S1", ""),
        KF_LOWER_IRQL(APC_LEVEL),
        KF_RECORD("apc-level"),
        S(APC_LEVEL, 0, 0, 1, 0, 0, "S1", ""),
        KF_COMPUTE(10),
        S(APC_LEVEL, 0, 0, 1, 0, 0, "S1", ""),
        KF_LOWER_IRQL(PASSIVE_LEVEL),
        KF_RECORD("passive"),
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
    };
    const KfStep steps_b[] = {
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
        KF_RAISE_IRQL(DISPATCH_LEVEL),
        S(DISPATCH_LEVEL, 0, 0, 0, 0, 0, "", ""),
        KF_INSERT_DPC(d1, 0),
        S(DISPATCH_LEVEL, 0, 0, 0, 0, 0, "", ""),
        KF_INSERT_APC(s1, 0),
        S(DISPATCH_LEVEL, 0, 0, 1, 0, 0, "S1", ""),
        KF_COMPUTE(10),
        S(DISPATCH_LEVEL, 0, 0, 1, 0, 0, "S1", ""),
        KF_LOWER_IRQL(PASSIVE_LEVEL),
        KF_RECORD("passive"),
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
    };

    if (two_steps)
        KF_SET(fk, body, steps_a);
    else
        KF_SET(fk, body, steps_b);
    run_expect(fk, StopAllTerminated);
    g_assert_cmpstr(kfake_log(fk), ==,
                    two_steps ? "T1:D1@10 T1:apc-level@10 T1:KR_S1@20 T1:passive@20"
                              : "T1:D1@10 T1:KR_S1@10 T1:passive@10");
    g_assert_cmpint(kfake_failures(fk), ==, 0);
    kfake_free(fk);
}

static void
test_c09_dpc_then_apc_two_steps(void)
{
    c09(true);
}

static void
test_c09_dpc_then_apc_straight(void)
{
    c09(false);
}

/* ---- C12 / D3 / A6: the KR cancels or rewrites the normal routine ---------- */

/*
 * C12: at APC_LEVEL T1 queues NK N1 whose KR cancels its NR (returns 0)
 * and NK N2 (context 7) whose KR rewrites the NormalContext to 42. On
 * lowering: KR_N1@APC, NR_N1 never runs and KAIP is never set for it;
 * KR_N2@APC sees context 7, NR_N2@PASSIVE sees 42 with KAIP set.
 */
static void
test_c12_kr_cancels_and_rewrites(void)
{
    KFake *fk = fake_new(1);
    const KfStep kr1[] = { KF_RECORD("KR_N1"), S(APC_LEVEL, 0, 0, 0, 0, 0, "N2", ""), KF_RETURN(0) };
    const KfStep nr1[] = { KF_RECORD("NR_N1") };
    const KfStep kr2[] = {
        KF_RECORD_CONTEXT("KR_N2"), S(APC_LEVEL, 0, 0, 0, 0, 0, "", ""), KF_SET_NORMAL_CONTEXT(42),
        S(APC_LEVEL, 0, 0, 0, 0, 0, "", ""),
    };
    const KfStep nr2[] = { KF_RECORD_CONTEXT("NR_N2"), S(PASSIVE_LEVEL, 0, 0, 0, 0, 1, "", "") };
    KCODE body = kfake_code_new(fk, "T1");
    KTHREAD *t1 = kfake_thread(fk, "T1", 8, 0, 0, body);
    KAPC *n1 = kfake_apc(fk, t1, KernelMode, "N1", KF_SCRIPT(fk, "kr1", kr1), KF_SCRIPT(fk, "nr1", nr1), none);
    KAPC *n2 = kfake_apc(fk, t1, KernelMode, "N2", KF_SCRIPT(fk, "kr2", kr2), KF_SCRIPT(fk, "nr2", nr2), none);
    const KfStep steps[] = {
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
        KF_RAISE_IRQL(APC_LEVEL),
        S(APC_LEVEL, 0, 0, 0, 0, 0, "", ""),
        KF_INSERT_APC(n1, 0),
        S(APC_LEVEL, 0, 0, 1, 0, 0, "N1", ""),
        KF_INSERT_APC(n2, 0),
        S(APC_LEVEL, 0, 0, 1, 0, 0, "N1 N2", ""),
        KF_LOWER_IRQL(PASSIVE_LEVEL),
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
    };

    kfake_apc_set_context(fk, n2, 7);
    KF_SET(fk, body, steps);
    run_expect(fk, StopAllTerminated);
    g_assert_cmpstr(kfake_log(fk), ==, "T1:KR_N1@0 T1:KR_N2=7@0 T1:NR_N2=42@0");
    /* KAIP: set once (N2's NR) and cleared once: never for N1. */
    assert_field_history(fk, t1, FLD_KERNEL_APC_IN_PROGRESS, "1 0");
    g_assert_cmpint(kfake_failures(fk), ==, 0);
    kfake_free(fk);
}

/* ---- C25 / I10 / I11: removing and flushing -------------------------------- */

/*
 * C25: T1 at APC_LEVEL in a critical region queues NK N1, N2 (KAP TRUE).
 * KeRemoveQueueApc(N1) -> TRUE, KAP stays (N2 remains); again -> FALSE;
 * KeRemoveQueueApc(N2) -> TRUE, list empty -> KAP FALSE (I10). Then U1, U2
 * are queued to T1 (self: UAP stays FALSE, I7) and KeTestAlertThread(User)
 * arms UAP (AL5); KeFlushQueueApc(User) returns U1, U2, both not inserted,
 * the list is empty and UAP is still TRUE (I11); no routine ran.
 */
static void
test_c25_remove_and_flush(void)
{
    KFake *fk = fake_new(1);
    const KfStep any[] = { KF_RECORD("ROUTINE-RAN") };
    KCODE body = kfake_code_new(fk, "T1");
    KTHREAD *t1 = kfake_thread(fk, "T1", 8, 0, 0, body);
    KCODE r = KF_SCRIPT(fk, "any", any);
    KAPC *n1 = kfake_apc(fk, t1, KernelMode, "N1", r, r, r);
    KAPC *n2 = kfake_apc(fk, t1, KernelMode, "N2", r, r, r);
    KAPC *u1 = kfake_apc(fk, t1, UserMode, "U1", r, r, r);
    KAPC *u2 = kfake_apc(fk, t1, UserMode, "U2", r, r, r);
    const KfStep steps[] = {
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
        KF_ENTER_CRITICAL_REGION(),
        S(PASSIVE_LEVEL, -1, 0, 0, 0, 0, "", ""),
        KF_RAISE_IRQL(APC_LEVEL),
        S(APC_LEVEL, -1, 0, 0, 0, 0, "", ""),
        KF_INSERT_APC(n1, 0),
        S(APC_LEVEL, -1, 0, 1, 0, 0, "N1", ""),
        KF_INSERT_APC(n2, 0),
        S(APC_LEVEL, -1, 0, 1, 0, 0, "N1 N2", ""),
        KF_REMOVE_APC(n1, "rm-n1"),
        S(APC_LEVEL, -1, 0, 1, 0, 0, "N2", ""),
        KF_CHECK(check_not_inserted, n1),
        KF_REMOVE_APC(n1, "rm-n1-again"),
        S(APC_LEVEL, -1, 0, 1, 0, 0, "N2", ""),
        KF_REMOVE_APC(n2, "rm-n2"),
        S(APC_LEVEL, -1, 0, 0, 0, 0, "", ""),
        KF_CHECK(check_not_inserted, n2),
        /* the APC request latched by the insertions fires: nothing to do */
        KF_LOWER_IRQL(PASSIVE_LEVEL),
        S(PASSIVE_LEVEL, -1, 0, 0, 0, 0, "", ""),
        KF_LEAVE_CRITICAL_REGION(),
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
        KF_INSERT_APC(u1, 0),
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", "U1"),
        KF_INSERT_APC(u2, 0),
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", "U1 U2"),
        KF_TEST_ALERT(UserMode, "test-alert"),
        S(PASSIVE_LEVEL, 0, 0, 0, 1, 0, "", "U1 U2"),
        KF_FLUSH_APC(UserMode, "flush"),
        S(PASSIVE_LEVEL, 0, 0, 0, 1, 0, "", ""),
        KF_CHECK(check_not_inserted, u1),
        KF_CHECK(check_not_inserted, u2),
        KF_FLUSH_APC(KernelMode, "flush-k"),
        S(PASSIVE_LEVEL, 0, 0, 0, 1, 0, "", ""),
    };

    KF_SET(fk, body, steps);
    run_expect(fk, StopAllTerminated);
    g_assert_cmpstr(kfake_log(fk), ==,
                    "T1:rm-n1=1@0 T1:rm-n1-again=0@0 T1:rm-n2=1@0 T1:test-alert=0@0 T1:flush=[U1 U2]@0 "
                    "T1:flush-k=[]@0");
    g_assert_cmpint(kfake_failures(fk), ==, 0);
    kfake_free(fk);
}

/* ---- I2: refused insertions ------------------------------------------------ */

/*
 * I2: inserting an APC that is already inserted returns FALSE with no side
 * effect (list, KAP, no second APC_INSERT row); inserting into a thread
 * that is no longer queueable (it has exited, C01) returns FALSE and
 * leaves the APC not inserted and the thread's state untouched.
 */
static void
test_i2_refused_insertions(void)
{
    KFake *fk = fake_new(1);
    const KfStep kr[] = { KF_RECORD("KR") };
    KCODE body1 = kfake_code_new(fk, "T1");
    KCODE body2 = kfake_code_new(fk, "T2");
    KTHREAD *t1 = kfake_thread(fk, "T1", 8, 0, 0, body1);
    kfake_thread(fk, "T2", 8, 0, 1000, body2);
    KAPC *s1 = kfake_apc(fk, t1, KernelMode, "S1", KF_SCRIPT(fk, "kr", kr), none, none);
    KAPC *x = kfake_apc(fk, t1, KernelMode, "X", KF_SCRIPT(fk, "krx", kr), KF_SCRIPT(fk, "nrx", kr), none);
    const KfStep steps1[] = {
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
        KF_RAISE_IRQL(APC_LEVEL),
        S(APC_LEVEL, 0, 0, 0, 0, 0, "", ""),
        { .op = KF_OP_INSERT_APC, .ptr = s1, .label = "ins-1" },
        S(APC_LEVEL, 0, 0, 1, 0, 0, "S1", ""),
        { .op = KF_OP_INSERT_APC, .ptr = s1, .label = "ins-2" },
        S(APC_LEVEL, 0, 0, 1, 0, 0, "S1", ""),
        KF_CHECK(check_inserted, s1),
        KF_LOWER_IRQL(PASSIVE_LEVEL),
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
    };
    const KfStep steps2[] = {
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
        S_OF(t1, 0, 0, 0, 0, 0, "", ""),
        { .op = KF_OP_INSERT_APC, .ptr = x, .label = "ins-dead" },
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
        S_OF(t1, 0, 0, 0, 0, 0, "", ""),
        KF_CHECK(check_not_inserted, x),
    };

    KF_SET(fk, body1, steps1);
    KF_SET(fk, body2, steps2);
    run_expect(fk, StopAllTerminated);
    g_assert_cmpstr(kfake_log(fk), ==, "T1:ins-1=1@0 T1:ins-2=0@0 T1:KR@0 T2:ins-dead=0@1000");
    g_assert_cmpuint(kfake_count(fk, TR_APC_INSERT), ==, 1);
    g_assert_cmpuint(kfake_count(fk, TR_APC_REFUSED), ==, 2);
    g_assert_false(t1->apc_queueable);
    g_assert_cmpint(kfake_failures(fk), ==, 0);
    kfake_free(fk);
}

/* ---- D9: IRQL and mode of every routine ------------------------------------ */

/*
 * D9: a user thread, inside a system call, queues SK S1, NK N1 and user
 * APC U1 to itself. KR_S1 and KR_N1 run at APC_LEVEL in kernel mode, NR_N1
 * at PASSIVE in kernel mode with KAIP set; U1 only queues (I7: no UAP).
 * The system-call exit delivers nothing (UAP FALSE). NtTestAlert arms UAP
 * (AL5); its exit runs KR_U1 at APC_LEVEL in kernel mode (UAP cleared,
 * D4), then NR_U1 in user mode at PASSIVE; the body resumes in user mode.
 */
static void
test_d9_routine_irql_and_mode(void)
{
    KFake *fk = fake_new(1);
    const KfStep kr_s1[] = { KF_RECORD("KR_S1"), S(APC_LEVEL, 0, 0, 0, 0, 0, "", "U1") };
    const KfStep kr_n1[] = { KF_RECORD("KR_N1"), S(APC_LEVEL, 0, 0, 0, 0, 0, "", "U1") };
    const KfStep nr_n1[] = { KF_RECORD("NR_N1"), S(PASSIVE_LEVEL, 0, 0, 0, 0, 1, "", "U1") };
    const KfStep kr_u1[] = { KF_RECORD("KR_U1"), S(APC_LEVEL, 0, 0, 0, 0, 0, "", "") };
    const KfStep nr_u1[] = { KF_RECORD("NR_U1"), S_USER(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", "") };
    KCODE body = kfake_code_new(fk, "T1");
    KTHREAD *t1 = kfake_user_thread(fk, "T1", 8, 0, 0, body);
    KAPC *s1 = kfake_apc(fk, t1, KernelMode, "S1", KF_SCRIPT(fk, "kr_s1", kr_s1), none, none);
    KAPC *n1 = kfake_apc(fk, t1, KernelMode, "N1", KF_SCRIPT(fk, "kr_n1", kr_n1), KF_SCRIPT(fk, "nr_n1", nr_n1),
                         none);
    KAPC *u1 = kfake_apc(fk, t1, UserMode, "U1", KF_SCRIPT(fk, "kr_u1", kr_u1), KF_SCRIPT(fk, "nr_u1", nr_u1),
                         none);
    const KfStep steps[] = {
        S_USER(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
        KF_SYSCALL_ENTER("NtQueueApcThread"),
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
        KF_INSERT_APC(u1, 0),
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", "U1"),
        KF_INSERT_APC(s1, 0),
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", "U1"),
        KF_INSERT_APC(n1, 0),
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", "U1"),
        KF_SYSCALL_EXIT(),
        KF_RECORD("exit-1"),
        S_USER(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", "U1"),
        KF_SYSCALL_ENTER("NtTestAlert"),
        S(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", "U1"),
        KF_TEST_ALERT(UserMode, "test-alert"),
        S(PASSIVE_LEVEL, 0, 0, 0, 1, 0, "", "U1"),
        KF_SYSCALL_EXIT(),
        KF_RECORD("exit-2"),
        S_USER(PASSIVE_LEVEL, 0, 0, 0, 0, 0, "", ""),
    };

    KF_SET(fk, body, steps);
    run_expect(fk, StopAllTerminated);
    g_assert_cmpstr(kfake_log(fk), ==,
                    "T1:KR_S1@0 T1:KR_N1@0 T1:NR_N1@0 T1:exit-1@0 T1:test-alert=0@0 T1:KR_U1@0 T1:NR_U1@0 "
                    "T1:exit-2@0");
    g_assert_cmpint(kfake_failures(fk), ==, 0);
    kfake_free(fk);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();

    g_test_add_func("/apc/C02/special-jumps-ahead-of-normal-I5-D3", test_c02_special_jumps_ahead);
    g_test_add_func("/apc/I5/special-after-last-special-fifo-groups", test_i5_special_after_last_special);
    g_test_add_func("/apc/C06/normal-apc-deferred-by-critical-region-R4-R6-D3",
                    test_c06_nk_deferred_by_critical_region);
    g_test_add_func("/apc/C06/nested-and-interleaved-regions-R4-R5-R7", test_c06_nested_and_interleaved_regions);
    g_test_add_func("/apc/R6/leave-critical-region-at-apc-level-R4-R6", test_r6_leave_critical_region_at_apc_level);
    g_test_add_func("/apc/C07/special-apc-not-blocked-by-critical-region-R4", test_c07_sk_not_blocked_by_critical_region);
    g_test_add_func("/apc/C08/special-apc-blocked-by-guarded-region-D2-R5", test_c08_sk_blocked_by_guarded_region);
    g_test_add_func("/apc/C08/self-insert-in-guarded-region-no-interrupt-I7", test_c08_self_insert_in_guarded_region);
    g_test_add_func("/apc/C09/dpc-before-apc-lowering-in-two-steps-R1", test_c09_dpc_then_apc_two_steps);
    g_test_add_func("/apc/C09/dpc-before-apc-lowering-to-passive-R1", test_c09_dpc_then_apc_straight);
    g_test_add_func("/apc/C12/kernel-routine-cancels-and-rewrites-D3-A6", test_c12_kr_cancels_and_rewrites);
    g_test_add_func("/apc/C25/remove-and-flush-I10-I11", test_c25_remove_and_flush);
    g_test_add_func("/apc/I2/refused-insertions-have-no-side-effect", test_i2_refused_insertions);
    g_test_add_func("/apc/D9/routine-irql-and-mode", test_d9_routine_irql_and_mode);

    return g_test_run();
}
