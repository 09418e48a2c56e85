/*
 * process.c - processes (KPROCESS): for now a name and an identity, which
 * is what the APC environments need (E1-E7 compare AS.Process).
 */
#include "ke/ke.h"

/* Create a process. Any time before or during the run; never fails. */
KPROCESS *ke_process_create(KMACHINE *m, const char *name)
{
    KPROCESS *p = g_new0(KPROCESS, 1);
    p->id = m->next_id++;
    p->name = g_strdup(name);
    g_ptr_array_add(m->processes, p);
    ke_trace_name(m, "process", p->id, p->name);
    ke_trace(m, TR_PROCESS_CREATE, -1, -1, p->id, 0, 0, 0, 0, 0, NULL);
    return p;
}
