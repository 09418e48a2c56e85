/*
 * schema.c - the tables, lookup rows and views of a trace database.
 *
 * Layout (schema version APCSIM_SCHEMA_VERSION):
 *
 *   meta(key, value)            run description; the store owns `complete`
 *                               (0 until the run finished), `events` and
 *                               `schema_version`
 *   event(seq, t, kind, cpu, thread, obj, a..e, text)
 *                               the log; seq = emission order from 1; NULL
 *                               in cpu/thread/obj means -1 and NULL in a..e
 *                               means 0 in a field the kind does not use, so
 *                               unused columns cost one byte of header
 *   kind(id, name, obj_type, a_type..e_type, a_label..e_label)
 *                               KTRACE_KINDS as data
 *   field_type(id, name)        the FT_* names of the *_type columns
 *   enum_value(type, value, name)
 *                               names of enum field values; a status is keyed
 *                               by its low 32 bits (value & 0xFFFFFFFF)
 *   thread/object/process/apc(id, name)
 *                               names registered through the sink
 *   v_event(seq, t, cpu, thread, kind, apc, detail)
 *   v_mark(seq, t, cpu, thread, irql, mode, label)
 *
 * v_event.detail is the text trace_format_detail produces (format.c says
 * what it is). Its SQL is generated here, once per trace, from
 * ktrace_kind_info: a CASE over the kind whose branches concatenate, for
 * each field the kind uses, the label and an expression for the field's
 * type (a scalar subquery into enum_value or a name table, printf for hex).
 * The view so needs nothing but built-in SQL functions and works in the
 * plain sqlite3 shell. enum_value is filled from trace__enum_name over the
 * exact ranges format.c names, so C and SQL agree by construction; the unit
 * tests check it anyway.
 *
 * Rejected: a generic view that joins `kind` and switches on each field's
 * type (one expression instead of one branch per kind, but five nested
 * type switches per row and unreadable output from EXPLAIN); an
 * application-defined SQL function (the views would fail in other tools).
 */
#include "trace/trace_int.h"

#include <inttypes.h>

static const char schema_tables_sql[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);\n"
    "CREATE TABLE event(seq INTEGER PRIMARY KEY, t INTEGER NOT NULL, kind INTEGER NOT NULL,"
    " cpu INTEGER, thread INTEGER, obj INTEGER, a INTEGER, b INTEGER, c INTEGER, d INTEGER,"
    " e INTEGER, text TEXT);\n"
    "CREATE TABLE kind(id INTEGER PRIMARY KEY, name TEXT, obj_type INTEGER,"
    " a_type INTEGER, b_type INTEGER, c_type INTEGER, d_type INTEGER, e_type INTEGER,"
    " a_label TEXT, b_label TEXT, c_label TEXT, d_label TEXT, e_label TEXT);\n"
    "CREATE TABLE field_type(id INTEGER PRIMARY KEY, name TEXT);\n"
    "CREATE TABLE enum_value(type INTEGER, value INTEGER, name TEXT,"
    " PRIMARY KEY(type, value)) WITHOUT ROWID;\n"
    "CREATE TABLE thread(id INTEGER PRIMARY KEY, name TEXT);\n"
    "CREATE TABLE object(id INTEGER PRIMARY KEY, name TEXT);\n"
    "CREATE TABLE process(id INTEGER PRIMARY KEY, name TEXT);\n"
    "CREATE TABLE apc(id INTEGER PRIMARY KEY, name TEXT);\n";

/* Append s as an SQL string literal. */
static void
sql_quote(GString *sql, const char *s)
{
    g_string_append_c(sql, '\'');
    for (const char *p = s; *p; p++) {
        if (*p == '\'')
            g_string_append_c(sql, '\'');
        g_string_append_c(sql, *p);
    }
    g_string_append_c(sql, '\'');
}

/* Append an SQL expression giving the text of value x (an SQL expression
 * that is never NULL) of a field of the given type; format.c:format_value
 * is the C twin. */
static void
sql_value(GString *sql, KTRACE_FIELD_TYPE type, const char *x)
{
    switch (type) {
    case FT_INT:
    case FT_CPU:
        g_string_append_printf(sql, "(%s)", x);
        return;
    case FT_TIME:
        g_string_append_printf(sql, "(CASE WHEN %s = -1 THEN 'inf' ELSE %s END)", x, x);
        return;
    case FT_HEX:
        g_string_append_printf(sql, "printf('0x%%llX', %s)", x);
        return;
    case FT_BUGCODE:
        g_string_append_printf(sql, "printf('0x%%08X', %s & " TRACE__STATUS_MASK_SQL ")", x);
        return;
    case FT_STATUS:
        g_string_append_printf(sql,
            "coalesce((SELECT name FROM enum_value WHERE type = %d AND value = (%s & "
            TRACE__STATUS_MASK_SQL ")), printf('0x%%08X', %s & " TRACE__STATUS_MASK_SQL "))",
            (int)type, x, x);
        return;
    case FT_THREAD:
    case FT_OBJECT:
    case FT_PROCESS:
    case FT_APC:
        g_string_append_printf(sql,
            "(CASE WHEN %s = -1 THEN '-' ELSE coalesce((SELECT name FROM %s WHERE id = %s),"
            " '#' || %s) END)", x, trace__id_table(type), x, x);
        return;
    case FT_BOOL: case FT_IRQL: case FT_STATE: case FT_WAITREASON: case FT_MODE:
    case FT_OBJTYPE: case FT_WAITTYPE: case FT_SWINT: case FT_FIELD: case FT_APCKIND:
    case FT_ENV: case FT_ROUTINE: case FT_REFUSE: case FT_QPOS: case FT_PRIOREASON:
        g_string_append_printf(sql,
            "coalesce((SELECT name FROM enum_value WHERE type = %d AND value = %s), %s)",
            (int)type, x, x);
        return;
    case FT_NONE:
        break;
    }
    g_assert_not_reached();
}

/* The escaping of format.c:append_escaped (applied in the same order, so
 * that no replacement sees the output of another). */
static void
sql_escaped_text(GString *sql, bool quoted)
{
    g_string_append(sql, "replace(replace(replace(");
    if (quoted)
        g_string_append(sql, "replace(");
    g_string_append(sql, "replace(e.text, '\\', '\\\\')");
    if (quoted)
        g_string_append(sql, ", '\"', '\\\"')");
    g_string_append(sql, ", char(10), '\\n'), char(13), '\\r'), char(9), '\\t')");
}

/* The text token of a row of the given kind, with its leading space. */
static void
sql_text_token(GString *sql, int32_t kind)
{
    if (trace__kind_quotes_text(kind)) {
        g_string_append(sql, "(CASE WHEN e.text IS NULL THEN '' ELSE ' \"' || ");
        sql_escaped_text(sql, true);
        g_string_append(sql, " || '\"' END)");
    } else {
        g_string_append(sql, "(CASE WHEN e.text IS NULL OR e.text = '' THEN '' ELSE ' ' || ");
        sql_escaped_text(sql, false);
        g_string_append(sql, " END)");
    }
}

/* The detail expression: a CASE over e.kind, then the leading space dropped. */
static void
sql_detail(GString *sql)
{
    static const char *const col[5] = {
        "coalesce(e.a, 0)", "coalesce(e.b, 0)", "coalesce(e.c, 0)", "coalesce(e.d, 0)",
        "coalesce(e.e, 0)",
    };

    g_string_append(sql, "substr(CASE e.kind");
    for (int k = 0; k < TR__COUNT; k++) {
        const KTRACE_KIND_INFO *ki = &ktrace_kind_info[k];

        g_string_append_printf(sql, "\n    WHEN %d /* %s */ THEN ", k, ki->name);
        if (ki->obj_type != FT_NONE) {
            g_string_append(sql, "' ' || ");
            sql_value(sql, ki->obj_type, "coalesce(e.obj, -1)");
            g_string_append(sql, " || ");
        }
        for (int i = 0; i < 5; i++) {
            if (ki->type[i] == FT_NONE)
                continue;
            if (ki->label[i][0]) {
                GString *lit = g_string_new(" ");

                g_string_append(lit, ki->label[i]);
                g_string_append_c(lit, '=');
                sql_quote(sql, lit->str);
                g_string_free(lit, TRUE);
            } else {
                g_string_append(sql, "' '");
            }
            g_string_append(sql, " || ");
            sql_value(sql, ki->type[i], col[i]);
            g_string_append(sql, " || ");
        }
        sql_text_token(sql, k);
    }
    /* A kind this build does not know: raw columns (format.c does the same). */
    g_string_append(sql,
        "\n    ELSE ' obj=' || coalesce(e.obj, -1) || ' a=' || coalesce(e.a, 0)"
        " || ' b=' || coalesce(e.b, 0) || ' c=' || coalesce(e.c, 0)"
        " || ' d=' || coalesce(e.d, 0) || ' e=' || coalesce(e.e, 0) || ");
    sql_text_token(sql, -1);
    g_string_append(sql, "\n  END, 2)");
}

#define SQL_THREAD_NAME \
    "CASE WHEN e.thread IS NULL THEN NULL" \
    " ELSE coalesce((SELECT name FROM thread WHERE id = e.thread), '#' || e.thread) END"

static char *
views_sql(void)
{
    GString *sql = g_string_new(NULL);

    g_string_append(sql,
        "CREATE VIEW v_event(seq, t, cpu, thread, kind, apc, detail) AS\n"
        "SELECT e.seq, e.t, e.cpu,\n"
        "  " SQL_THREAD_NAME ",\n"
        "  coalesce(k.name, '#' || e.kind),\n");
    g_string_append_printf(sql,
        "  CASE WHEN k.obj_type = %d AND e.obj IS NOT NULL"
        " THEN coalesce((SELECT name FROM apc WHERE id = e.obj), '#' || e.obj) END,\n  ",
        (int)FT_APC);
    sql_detail(sql);
    g_string_append(sql, "\nFROM event e LEFT JOIN kind k ON k.id = e.kind;\n");

    /* v_mark's irql and mode are MARK's fields a and b. */
    g_assert(ktrace_kind_info[TR_MARK].type[0] == FT_IRQL &&
             ktrace_kind_info[TR_MARK].type[1] == FT_MODE);
    g_string_append_printf(sql,
        "CREATE VIEW v_mark(seq, t, cpu, thread, irql, mode, label) AS\n"
        "SELECT e.seq, e.t, e.cpu,\n"
        "  " SQL_THREAD_NAME ",\n"
        "  coalesce(e.a, 0),\n"
        "  coalesce((SELECT name FROM enum_value WHERE type = %d AND value = coalesce(e.b, 0)),"
        " coalesce(e.b, 0)),\n"
        "  e.text\n"
        "FROM event e WHERE e.kind = %d;\n", (int)FT_MODE, (int)TR_MARK);
    return g_string_free(sql, FALSE);
}

static int
fill_kinds(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db,
        "INSERT INTO kind VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        -1, &st, NULL);

    for (int k = 0; rc == SQLITE_OK && k < TR__COUNT; k++) {
        const KTRACE_KIND_INFO *ki = &ktrace_kind_info[k];

        sqlite3_bind_int(st, 1, k);
        sqlite3_bind_text(st, 2, ki->name, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, (int)ki->obj_type);
        for (int i = 0; i < 5; i++) {
            sqlite3_bind_int(st, 4 + i, (int)ki->type[i]);
            sqlite3_bind_text(st, 9 + i, ki->label[i], -1, SQLITE_STATIC);
        }
        rc = sqlite3_step(st);
        rc = rc == SQLITE_DONE ? sqlite3_reset(st) : rc;
    }
    sqlite3_finalize(st);
    return rc;
}

static int
fill_field_types(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "INSERT INTO field_type VALUES(?1, ?2)", -1, &st, NULL);

    for (int t = FT_NONE; rc == SQLITE_OK && t <= FT_HEX; t++) {
        sqlite3_bind_int(st, 1, t);
        sqlite3_bind_text(st, 2, trace__field_type_name((KTRACE_FIELD_TYPE)t), -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        rc = rc == SQLITE_DONE ? sqlite3_reset(st) : rc;
    }
    sqlite3_finalize(st);
    return rc;
}

static int
insert_enum(sqlite3_stmt *st, KTRACE_FIELD_TYPE type, int64_t value)
{
    const char *name = trace__enum_name(type, value);
    int rc;

    if (!name)
        return SQLITE_OK;
    sqlite3_bind_int(st, 1, (int)type);
    sqlite3_bind_int64(st, 2, value);
    sqlite3_bind_text(st, 3, name, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    return rc == SQLITE_DONE ? sqlite3_reset(st) : rc;
}

/* enum_value: every value that trace__enum_name names, over the ranges it
 * names (trace_int.h). */
static int
fill_enum_values(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "INSERT INTO enum_value VALUES(?1, ?2, ?3)", -1, &st, NULL);

    for (int t = FT_NONE; rc == SQLITE_OK && t <= FT_HEX; t++) {
        if (!trace__type_is_enum((KTRACE_FIELD_TYPE)t))
            continue;
        if (t == FT_STATUS) {
            for (uint32_t sev = 0; rc == SQLITE_OK && sev < 4; sev++)
                for (uint32_t code = 0; rc == SQLITE_OK && code < 0x1000; code++)
                    rc = insert_enum(st, FT_STATUS, (int64_t)((sev << 30) | code));
        } else {
            for (int v = 0; rc == SQLITE_OK && v <= TRACE__ENUM_MAX; v++)
                rc = insert_enum(st, (KTRACE_FIELD_TYPE)t, v);
        }
    }
    sqlite3_finalize(st);
    return rc;
}

int
trace__schema_create(sqlite3 *db, char **errmsg)
{
    char *views = views_sql();
    char *meta = g_strdup_printf(
        "INSERT INTO meta VALUES('complete', '0'), ('events', '0'), ('schema_version', '%d');",
        APCSIM_SCHEMA_VERSION);
    int rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);

    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, schema_tables_sql, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = fill_kinds(db);
    if (rc == SQLITE_OK)
        rc = fill_field_types(db);
    if (rc == SQLITE_OK)
        rc = fill_enum_values(db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, views, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, meta, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        *errmsg = g_strdup(sqlite3_errmsg(db));
        if (!sqlite3_get_autocommit(db))
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
    g_free(views);
    g_free(meta);
    return rc;
}

int
trace__schema_index(sqlite3 *db)
{
    /* Only the MARK rows get an index (for v_mark, a handful of rows): an
     * index on event(kind) for every row would make the file 40% larger,
     * and a full scan of a million rows takes a tenth of a second. */
    char *sql = g_strdup_printf("CREATE INDEX event_mark ON event(seq) WHERE kind = %d", (int)TR_MARK);
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

    g_free(sql);
    return rc;
}
