/*
 * format.c - the text of a trace row, as v_event.detail and `apcsim dump`
 * show it.
 *
 * The detail of a row is a list of tokens separated by single spaces:
 *
 *   1. the obj column, if the kind's obj-type is not FT_NONE: the bare value;
 *   2. for each field a..e whose type is not FT_NONE, in that order:
 *      "label=value", or the bare value when the label is empty;
 *   3. the text, if any: for MARK and EXPECT_FAIL in double quotes (an empty
 *      text shows as ""), for other kinds bare (an empty text is omitted).
 *
 * Every token, even an empty one (a name registered as ""), is preceded by
 * one space and the first space is then dropped; SQL does the same with
 * ' ' || token ... and substr(x, 2). A row with nothing to show has the
 * empty detail.
 *
 * A value by field type:
 *
 *   FT_INT, FT_CPU        decimal
 *   FT_TIME               decimal ns; -1 shows as "inf"
 *   FT_HEX                0x%llX of the 64-bit value (so -1 is 0xFFFFFFFFFFFFFFFF)
 *   FT_BUGCODE            0x%08X of the low 32 bits (bugcheck codes are ULONG)
 *   FT_STATUS             the STATUS_* name of the low 32 bits, else 0x%08X of them
 *   FT_THREAD, FT_OBJECT,
 *   FT_PROCESS, FT_APC    the registered name; "#id" if none; "-" for -1
 *   other enum types      the name (FT_BOOL: FALSE/TRUE; FT_IRQL: the NT
 *                         level name; FT_FIELD: the KTHREAD field name),
 *                         else decimal
 *
 * Text is escaped so that a row stays one line: backslash, newline, carriage
 * return and tab become \\ \n \r \t, and inside double quotes " becomes \".
 *
 * A kind this build does not know (a newer trace) shows its raw columns:
 * "obj=N a=N b=N c=N d=N e=N" and the text bare.
 *
 * Which values have names is decided here only (trace__enum_name); schema.c
 * copies exactly these names into the enum_value table that v_event reads,
 * and tests/unit/test_trace.c checks v_event.detail against
 * trace_format_detail over rows of every kind and sweeps of every enum type.
 */
#include "trace/trace_int.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "ke/ntdef.h"

/* The nt_*_name functions return "?" for values they do not know. */
static const char *
known(const char *name)
{
    return name && strcmp(name, "?") != 0 ? name : NULL;
}

bool
trace__type_is_enum(KTRACE_FIELD_TYPE type)
{
    switch (type) {
    case FT_BOOL: case FT_IRQL: case FT_STATE: case FT_WAITREASON: case FT_MODE:
    case FT_STATUS: case FT_OBJTYPE: case FT_WAITTYPE: case FT_SWINT: case FT_FIELD:
    case FT_APCKIND: case FT_ENV: case FT_ROUTINE: case FT_REFUSE: case FT_QPOS:
    case FT_PRIOREASON:
        return true;
    case FT_NONE: case FT_INT: case FT_TIME: case FT_THREAD: case FT_OBJECT:
    case FT_PROCESS: case FT_APC: case FT_CPU: case FT_BUGCODE: case FT_HEX:
        return false;
    }
    return false;
}

const char *
trace__enum_name(KTRACE_FIELD_TYPE type, int64_t v)
{
    if (type == FT_STATUS) {
        uint32_t key = (uint32_t)v;

        if (key & TRACE__STATUS_UNNAMED_BITS)
            return NULL;
        return nt_status_name((NTSTATUS)key);
    }
    if (v < 0 || v > TRACE__ENUM_MAX)
        return NULL;

    int i = (int)v;

    switch (type) {
    case FT_BOOL:       return i == 0 ? "FALSE" : i == 1 ? "TRUE" : NULL;
    case FT_IRQL:       return nt_irql_name(i);
    case FT_STATE:      return known(nt_state_name(i));
    case FT_WAITREASON: return known(nt_wait_reason_name(i));
    case FT_MODE:       return known(nt_mode_name(i));
    case FT_OBJTYPE:    return known(nt_object_type_name(i));
    case FT_WAITTYPE:   return known(nt_wait_type_name(i));
    case FT_SWINT:      return i == APC_LEVEL || i == DISPATCH_LEVEL ? nt_irql_name(i) : NULL;
    case FT_FIELD:      return i < FLD__COUNT ? ktrace_field_names[i] : NULL;
    case FT_APCKIND:    return known(nt_apc_kind_name(i));
    case FT_ENV:        return known(nt_env_name(i));
    case FT_ROUTINE:    return known(nt_routine_name(i));
    case FT_REFUSE:     return known(nt_refuse_name(i));
    case FT_QPOS:       return known(nt_qpos_name(i));
    case FT_PRIOREASON: return known(nt_prio_reason_name(i));
    case FT_STATUS:     /* handled above */
    case FT_NONE: case FT_INT: case FT_TIME: case FT_THREAD: case FT_OBJECT:
    case FT_PROCESS: case FT_APC: case FT_CPU: case FT_BUGCODE: case FT_HEX:
        return NULL;
    }
    return NULL;
}

const char *
trace__id_table(KTRACE_FIELD_TYPE type)
{
    switch (type) {
    case FT_THREAD:  return "thread";
    case FT_OBJECT:  return "object";
    case FT_PROCESS: return "process";
    case FT_APC:     return "apc";
    default:         return NULL;
    }
}

static const char *const field_type_names[] = {
    [FT_NONE] = "FT_NONE", [FT_INT] = "FT_INT", [FT_TIME] = "FT_TIME", [FT_BOOL] = "FT_BOOL",
    [FT_IRQL] = "FT_IRQL", [FT_STATE] = "FT_STATE", [FT_WAITREASON] = "FT_WAITREASON",
    [FT_MODE] = "FT_MODE", [FT_STATUS] = "FT_STATUS", [FT_THREAD] = "FT_THREAD",
    [FT_OBJECT] = "FT_OBJECT", [FT_PROCESS] = "FT_PROCESS", [FT_APC] = "FT_APC",
    [FT_CPU] = "FT_CPU", [FT_OBJTYPE] = "FT_OBJTYPE", [FT_WAITTYPE] = "FT_WAITTYPE",
    [FT_SWINT] = "FT_SWINT", [FT_FIELD] = "FT_FIELD", [FT_APCKIND] = "FT_APCKIND",
    [FT_ENV] = "FT_ENV", [FT_ROUTINE] = "FT_ROUTINE", [FT_REFUSE] = "FT_REFUSE",
    [FT_QPOS] = "FT_QPOS", [FT_PRIOREASON] = "FT_PRIOREASON", [FT_BUGCODE] = "FT_BUGCODE",
    [FT_HEX] = "FT_HEX",
};
/* FT_HEX is the last type; a new type must be named here and formatted below
 * (the switches have no default, so -Wswitch points at them). */
G_STATIC_ASSERT(G_N_ELEMENTS(field_type_names) == FT_HEX + 1);

const char *
trace__field_type_name(KTRACE_FIELD_TYPE type)
{
    return (unsigned)type < G_N_ELEMENTS(field_type_names) ? field_type_names[type] : NULL;
}

bool
trace__kind_quotes_text(int32_t kind)
{
    return kind == TR_MARK || kind == TR_EXPECT_FAIL;
}

/* Append one value of a field of the given type (never FT_NONE). */
static void
format_value(GString *out, KTRACE_FIELD_TYPE type, int64_t v, trace_name_fn names, void *ctx)
{
    const char *name;

    switch (type) {
    case FT_INT:
    case FT_CPU:
        g_string_append_printf(out, "%" PRId64, v);
        return;
    case FT_TIME:
        if (v == -1)
            g_string_append(out, "inf");
        else
            g_string_append_printf(out, "%" PRId64, v);
        return;
    case FT_HEX:
        g_string_append_printf(out, "0x%" PRIX64, (uint64_t)v);
        return;
    case FT_BUGCODE:
        g_string_append_printf(out, "0x%08" PRIX32, (uint32_t)v);
        return;
    case FT_STATUS:
        name = trace__enum_name(type, v);
        if (name)
            g_string_append(out, name);
        else
            g_string_append_printf(out, "0x%08" PRIX32, (uint32_t)v);
        return;
    case FT_THREAD:
    case FT_OBJECT:
    case FT_PROCESS:
    case FT_APC:
        if (v == -1) {
            g_string_append_c(out, '-');
            return;
        }
        name = NULL;
        if (names && v >= INT32_MIN && v <= INT32_MAX)
            name = names(ctx, trace__id_table(type), (int32_t)v);
        if (name)
            g_string_append(out, name);
        else
            g_string_append_printf(out, "#%" PRId64, v);
        return;
    case FT_BOOL: case FT_IRQL: case FT_STATE: case FT_WAITREASON: case FT_MODE:
    case FT_OBJTYPE: case FT_WAITTYPE: case FT_SWINT: case FT_FIELD: case FT_APCKIND:
    case FT_ENV: case FT_ROUTINE: case FT_REFUSE: case FT_QPOS: case FT_PRIOREASON:
        name = trace__enum_name(type, v);
        if (name)
            g_string_append(out, name);
        else
            g_string_append_printf(out, "%" PRId64, v);
        return;
    case FT_NONE:
        break;
    }
    g_assert_not_reached();
}

/* Append text escaped as described at the top of the file. */
static void
append_escaped(GString *out, const char *text, bool quoted)
{
    for (const char *p = text; *p; p++) {
        switch (*p) {
        case '\\': g_string_append(out, "\\\\"); break;
        case '\n': g_string_append(out, "\\n"); break;
        case '\r': g_string_append(out, "\\r"); break;
        case '\t': g_string_append(out, "\\t"); break;
        case '"':
            if (quoted)
                g_string_append(out, "\\\"");
            else
                g_string_append_c(out, '"');
            break;
        default:
            g_string_append_c(out, *p);
            break;
        }
    }
}

/*
 * Replaces the contents of buf with the detail of rec (see the top of this
 * file). `names` resolves thread/object/process/apc ids; NULL prints "#id".
 * Any record is accepted, including kinds this build does not know.
 */
void
trace_format_detail(const KTRACE_RECORD *rec, trace_name_fn names, void *names_ctx, GString *buf)
{
    g_return_if_fail(rec != NULL && buf != NULL);

    g_string_truncate(buf, 0);
    if (rec->kind < 0 || rec->kind >= TR__COUNT) {
        g_string_append_printf(buf, " obj=%" PRId32 " a=%" PRId64 " b=%" PRId64 " c=%" PRId64
                               " d=%" PRId64 " e=%" PRId64, rec->obj, rec->a, rec->b, rec->c,
                               rec->d, rec->e);
        if (rec->text && rec->text[0]) {
            g_string_append_c(buf, ' ');
            append_escaped(buf, rec->text, false);
        }
        g_string_erase(buf, 0, 1);
        return;
    }

    const KTRACE_KIND_INFO *ki = &ktrace_kind_info[rec->kind];
    const int64_t field[5] = { rec->a, rec->b, rec->c, rec->d, rec->e };

    if (ki->obj_type != FT_NONE) {
        g_string_append_c(buf, ' ');
        format_value(buf, ki->obj_type, rec->obj, names, names_ctx);
    }
    for (int i = 0; i < 5; i++) {
        if (ki->type[i] == FT_NONE)
            continue;
        g_string_append_c(buf, ' ');
        if (ki->label[i][0]) {
            g_string_append(buf, ki->label[i]);
            g_string_append_c(buf, '=');
        }
        format_value(buf, ki->type[i], field[i], names, names_ctx);
    }
    if (rec->text) {
        if (trace__kind_quotes_text(rec->kind)) {
            g_string_append(buf, " \"");
            append_escaped(buf, rec->text, true);
            g_string_append_c(buf, '"');
        } else if (rec->text[0]) {
            g_string_append_c(buf, ' ');
            append_escaped(buf, rec->text, false);
        }
    }
    if (buf->len > 0)
        g_string_erase(buf, 0, 1);
}

bool trace_parse_time(const char *s, int64_t *ns)
{
    static const struct { const char *unit; double scale; } units[] = {
        { "", 1 }, { "ns", 1 }, { "us", 1e3 }, { "\xc2\xb5s", 1e3 }, { "ms", 1e6 }, { "s", 1e9 },
    };
    char *end;
    if (!s || !(g_ascii_isdigit(*s) || *s == '.'))
        return false;
    /* a decimal number (digits, one '.', an exponent "e3"): strtod alone
     * would also take hexadecimal ("0x10" = 16) */
    const char *p = s;
    while (g_ascii_isdigit(*p))
        p++;
    if (*p == '.')
        for (p++; g_ascii_isdigit(*p); p++)
            ;
    if ((*p == 'e' || *p == 'E') && (g_ascii_isdigit(p[1]) || ((p[1] == '+' || p[1] == '-') && g_ascii_isdigit(p[2]))))
        for (p += 2; g_ascii_isdigit(*p); p++)
            ;
    errno = 0;
    double v = g_ascii_strtod(s, &end);
    if (end != p || end == s || errno || !(v >= 0) || v > 9.2e18)
        return false;
    for (size_t i = 0; i < G_N_ELEMENTS(units); i++) {
        if (strcmp(end, units[i].unit) == 0 && v * units[i].scale <= 9.2e18) {
            *ns = (int64_t)(v * units[i].scale + 0.5);
            return true;
        }
    }
    return false;
}
