/*
 * why.h - why a queued APC has not run yet: the rule that holds it back,
 * read from a kernel state snapshot (what `apcsim replay` prints under each
 * KAPC of `!apc` and `!thread`).
 */
#ifndef APCSIM_TRACE_WHY_H
#define APCSIM_TRACE_WHY_H

#include <glib.h>
#include <stdbool.h>

#include "ke/snapshot.h"

/* Which KAPC_STATE of the thread holds the APC. */
typedef enum WhyBlock {
    WHY_APC_STATE = 0,              /* ApcState: the current environment */
    WHY_SAVED_APC_STATE,            /* SavedApcState */
    WHY_STACK_BUFFER,               /* a KeStackAttachProcess buffer (E3) */
} WhyBlock;

/* What the snapshot does not hold but the reason may need. */
typedef struct WhyContext {
    bool win10;                     /* the trace's profile is win10 ([DIFF] rows, SU1-SU2) */
    bool in_kernel_routine;         /* the thread is inside an APC's KernelRoutine (a D3 loop runs) */
    bool in_user_apc;               /* ... inside a user APC's NormalRoutine (KiUserApcDispatcher, D4) */
    /* the APC whose routine is running (either of the two above), when known */
    bool running_known;
    bool running_user;              /* a user-mode APC (its KernelRoutine runs in D4's user phase) */
    bool running_special;           /* a special kernel APC / a special user APC (win10) */
    int switched_out_irql;          /* IRQL the thread was last switched out at (K2), -1 unknown */
    bool terminating;               /* its exit APC (T2-T4) is queued ... */
    int32_t exit_apc;               /* ... and this is its id */
    const char *attached_to;        /* name of the process of its ApcState (for parked APCs) */
} WhyContext;

/* Append to out one sentence saying why the APC at position index of the
 * thread's list `mode` in `block` is still queued in snapshot s, with the
 * SEMANTICS.md rule IDs that decide it. A reading of the state for people:
 * it changes nothing, any caller. */
void why_apc_queued(GString *out, const KSNAP *s, const KSNAP_THREAD *k, WhyBlock block, int mode, guint index,
                    const WhyContext *ctx);

#endif
