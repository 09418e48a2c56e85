/*
 * ktrace.c - the static description of every trace kind (see ktrace.h).
 */
#include "ke/ktrace.h"

const KTRACE_KIND_INFO ktrace_kind_info[TR__COUNT] = {
#define KTRACE_INFO_(id, nm, ot, at, al, bt, bl, ct, cl, dt, dl, et, el) \
    [id] = { nm, ot, { at, bt, ct, dt, et }, { al, bl, cl, dl, el } },
    KTRACE_KINDS(KTRACE_INFO_)
#undef KTRACE_INFO_
};

const char *const ktrace_field_names[FLD__COUNT] = {
#define KTRACE_FIELD_NAME_(id, nm) [id] = nm,
    KTHREAD_FIELDS(KTRACE_FIELD_NAME_)
#undef KTRACE_FIELD_NAME_
};
