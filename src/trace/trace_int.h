/*
 * trace_int.h - internals shared by the files of src/trace/ (no other module
 * includes this header).
 *
 * The trace module is four files, one layer each:
 *
 *   format.c  the text of a field and of a row's detail (the C side of the
 *             one formatting rule that v_event, dump and replay share);
 *   schema.c  the tables, the lookup rows and the views of a new trace; the
 *             SQL of v_event.detail is generated from KTRACE_KINDS and from
 *             the same enum names format.c uses, so the two cannot drift;
 *   store.c   the writer: a KTRACE_SINK that loads rows in batches into a
 *             temporary file and renames it into place;
 *   reader.c  the checks made before a trace is read, and the canonical dump.
 *
 * Internal names use the prefix trace__ (public ones trace_).
 */
#ifndef APCSIM_TRACE_INT_H
#define APCSIM_TRACE_INT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "trace/store.h"

/* The enum values that have names in a trace. Small enums (every enum
 * field type except FT_STATUS) are named for values 0..TRACE__ENUM_MAX.
 * A status is its low 32 bits; it is named only when none of the bits in
 * TRACE__STATUS_UNNAMED_BITS is set (facility 0, customer and reserved bits
 * clear, code < 0x1000), i.e. in four windows of 4096 values, one per
 * severity. Outside these ranges a value is shown as a number in C and in
 * SQL alike, because the enum_value table is filled from exactly these
 * ranges (trace__enum_name is the single source for both). */
#define TRACE__ENUM_MAX             255
#define TRACE__STATUS_UNNAMED_BITS  0x3FFFF000u
#define TRACE__STATUS_MASK_SQL      "4294967295"    /* 0xFFFFFFFF, for SQL '&' */

/* Rows per write transaction. */
#define TRACE__BATCH_ROWS 10000

/* ---- format.c ------------------------------------------------------------ */

/* True for the field types whose values are looked up in enum_value. */
bool trace__type_is_enum(KTRACE_FIELD_TYPE type);

/* The name of value v of an enum field type, or NULL if v has none (then it
 * is shown as a number; FT_STATUS as 0x%08X). For FT_STATUS the name is that
 * of the low 32 bits of v. Returns a static string. */
const char *trace__enum_name(KTRACE_FIELD_TYPE type, int64_t v);

/* "thread", "object", "process" or "apc" for the id field types (the name
 * of their table and the `what` of the sink's name callback), else NULL. */
const char *trace__id_table(KTRACE_FIELD_TYPE type);

/* "FT_INT", ...: the C name of a field type (for the field_type table). */
const char *trace__field_type_name(KTRACE_FIELD_TYPE type);

/* True for the kinds whose text is shown in double quotes (MARK, EXPECT_FAIL). */
bool trace__kind_quotes_text(int32_t kind);

/* ---- schema.c ------------------------------------------------------------ */

/* Create the tables, fill the lookup tables, create the views and the meta
 * rows of a new trace, in one transaction on an empty database. Returns
 * SQLITE_OK, or the SQLite error code and *errmsg (g_free it) with the
 * database rolled back to empty. */
int trace__schema_create(sqlite3 *db, char **errmsg);

/* The indices, created once the load is over (inside the caller's
 * transaction). */
int trace__schema_index(sqlite3 *db);

#endif /* APCSIM_TRACE_INT_H */
