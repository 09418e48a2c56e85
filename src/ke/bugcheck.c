/*
 * bugcheck.c - simulated bugchecks (KeBugCheckEx).
 *
 * A kernel rule broken by the scenario ends the run cleanly: the BUGCHECK
 * row (NT name, code, four parameters) goes into the trace, the run stops,
 * and the CLI prints it the way a kernel debugger's !analyze -v does and
 * exits with status 4 - unless the scenario said expect_bugcheck(NAME).
 * A bug in apcsim itself is an assertion, never a bugcheck.
 */
#include "ke/ke.h"

#include <inttypes.h>
#include <string.h>

static const struct {
    uint32_t code;
    const char *name;
    const char *text;
    const char *args[4];
} bugchecks[] = {
    { BUGCODE_APC_INDEX_MISMATCH, "APC_INDEX_MISMATCH",
      "This is a kernel internal error. The most common reason to see this bugcheck is when a\n"
      "filesystem or a driver has a mismatched number of calls to disable and re-enable APCs,\n"
      "or returns to user mode while attached to another process.",
      { "Address of system call function or worker routine", "Thread's ApcStateIndex",
        "(Thread->SpecialApcDisable << 16) | Thread->KernelApcDisable", "Call type (0 - system call, 1 - worker routine)" } },
    { BUGCODE_INVALID_PROCESS_ATTACH_ATTEMPT, "INVALID_PROCESS_ATTACH_ATTEMPT",
      "An attempt was made to attach to a process while already attached, or an APC routine\n"
      "returned while attached, or a thread exited while attached.",
      { "Pointer to the process object being attached to", "Pointer to the current process object",
        "ApcStateIndex", "Reserved" } },
    { BUGCODE_INVALID_PROCESS_DETACH_ATTEMPT, "INVALID_PROCESS_DETACH_ATTEMPT",
      "A detach was attempted with APCs still queued to, or in progress in, the attached environment.",
      { "Reserved", "Reserved", "Reserved", "Reserved" } },
    { 0x9, "IRQL_NOT_GREATER_OR_EQUAL",
      "KeRaiseIrql was asked to raise to a level below the current IRQL.",
      { "Current IRQL", "Requested IRQL", "Reserved", "Reserved" } },
    { BUGCODE_IRQL_NOT_LESS_OR_EQUAL, "IRQL_NOT_LESS_OR_EQUAL",
      "An attempt was made to wait, or to lower the IRQL, at an interrupt request level (IRQL)\n"
      "that does not allow it.",
      { "Memory referenced (0 here)", "IRQL at time of reference", "Requested IRQL / bitfield", "Reserved" } },
    { BUGCODE_KERNEL_APC_PENDING_DURING_EXIT, "KERNEL_APC_PENDING_DURING_EXIT",
      "A thread exited with kernel APCs still queued, or with APC delivery still disabled\n"
      "(a critical or guarded region was not left).",
      { "Address of the APC found pending during exit", "Thread's KernelApcDisable",
        "Thread's SpecialApcDisable", "Reserved" } },
    { BUGCODE_IRQL_GT_ZERO_AT_SYSTEM_SERVICE, "IRQL_GT_ZERO_AT_SYSTEM_SERVICE",
      "A system service returned to user mode at an IRQL above PASSIVE_LEVEL.",
      { "Address of the system function", "Current IRQL", "Reserved", "Reserved" } },
    { BUGCODE_ATTEMPTED_SWITCH_FROM_DPC, "ATTEMPTED_SWITCH_FROM_DPC",
      "A wait operation, attach process, or yield was attempted from a DPC routine.",
      { "Original thread which is the cause of the failure", "New thread", "Stack address of the original thread",
        "Reserved" } },
    { BUGCODE_THREAD_TERMINATE_HELD_MUTEX, "THREAD_TERMINATE_HELD_MUTEX",
      "A thread exited while it owned a kernel mutex (KMUTEX).",
      { "Address of the thread", "Address of the mutex", "Reserved", "Reserved" } },
    { BUGCODE_MUTEX_ALREADY_OWNED, "MUTEX_ALREADY_OWNED",
      "A thread attempted to acquire ownership of a mutex it already owns.",
      { "Address of the mutex", "Thread", "Reserved", "Reserved" } },
    { BUGCODE_IRQL_UNEXPECTED_VALUE, "IRQL_UNEXPECTED_VALUE",
      "The IRQL was not the expected value: an APC routine returned at an IRQL other than APC_LEVEL.",
      { "(Current IRQL << 16) | Expected IRQL", "Reserved", "The APC", "Reserved" } },
};

const char *ke_bugcheck_name(uint32_t code)
{
    for (size_t i = 0; i < G_N_ELEMENTS(bugchecks); i++)
        if (bugchecks[i].code == code)
            return bugchecks[i].name;
    return "UNKNOWN_BUGCHECK";
}

int ke_bugcheck_code_from_name(const char *name, uint32_t *code)
{
    for (size_t i = 0; i < G_N_ELEMENTS(bugchecks); i++)
        if (strcmp(bugchecks[i].name, name) == 0) {
            *code = bugchecks[i].code;
            return 1;
        }
    return 0;
}

/* KeBugCheckEx: any IRQL, any context. Records the first bugcheck and stops
 * the run at the next boundary; never returns control to scenario code. */
void KeBugCheckEx(KMACHINE *m, uint32_t code, uint64_t p1, uint64_t p2, uint64_t p3, uint64_t p4)
{
    if (ke_stopping(m))
        return;
    KBUGCHECK *b = &m->bugcheck;
    b->code = code;
    b->name = ke_bugcheck_name(code);
    b->p[0] = p1; b->p[1] = p2; b->p[2] = p3; b->p[3] = p4;
    b->thread = m->running ? m->running->id : -1;
    b->cpu = m->running_cpu ? m->running_cpu->number : -1;
    b->t = m->now;
    m->bugchecked = true;
    ke_trace(m, TR_BUGCHECK, b->cpu, b->thread, (int32_t)code, (int64_t)p1, (int64_t)p2, (int64_t)p3, (int64_t)p4,
             0, b->name);
    m->stop = StopBugcheck;
}

void ke_bugcheck_print(const KMACHINE *m, FILE *out)
{
    const KBUGCHECK *b = &m->bugcheck;
    size_t idx = G_N_ELEMENTS(bugchecks);
    for (size_t i = 0; i < G_N_ELEMENTS(bugchecks); i++)
        if (bugchecks[i].code == b->code)
            idx = i;
    fprintf(out, "*******************************************************************************\n"
                 "*                                                                             *\n"
                 "*                        Bugcheck Analysis                                    *\n"
                 "*                                                                             *\n"
                 "*******************************************************************************\n\n");
    fprintf(out, "%s (%" PRIx32 ")\n", b->name, b->code);
    if (idx < G_N_ELEMENTS(bugchecks))
        fprintf(out, "%s\n", bugchecks[idx].text);
    fprintf(out, "Arguments:\n");
    for (int i = 0; i < 4; i++)
        fprintf(out, "Arg%d: %016" PRIx64 ", %s\n", i + 1, b->p[i],
                idx < G_N_ELEMENTS(bugchecks) ? bugchecks[idx].args[i] : "");
    fprintf(out, "\nBUGCHECK_CODE:  %" PRIx32 "\n", b->code);
    if (b->thread >= 0) {
        KTHREAD *t = (KTHREAD *)((KMACHINE *)m)->by_id->pdata[b->thread];
        fprintf(out, "PROCESS_NAME:  %s\n", t->process->name);
        fprintf(out, "THREAD:  %s\n", t->header.name);
    }
    if (b->cpu >= 0)
        fprintf(out, "CURRENT_IRQL:  %d\nPROCESSOR:  %d\n", m->cpu[b->cpu].irql, b->cpu);
    fprintf(out, "TIME:  %" PRId64 " ns\n", b->t);
}
