#!/usr/bin/env bash
# broken_traces.sh APCSIM OUTDIR - makes broken trace files in OUTDIR from a
# good trace of traces/small.lua (and a real partial trace from an
# interrupted run of interrupt/long_run.lua), then prints the table of cases,
# one per line, tab-separated:
#   FILE <TAB> EXPECTED-EXIT[|EXIT...] <TAB> EXPECTED MESSAGE SUBSTRING <TAB> WHAT
# Exit statuses (src/trace/store.h): 10 not found / not a regular file,
# 11 not SQLite (empty, garbage, truncated), 12 foreign SQLite file,
# 13 other schema version, 14 incomplete run, 15 damaged / missing tables.
# Needs sqlite3. All content is deterministic (no /dev/urandom).
set -u
apcsim=${1:?usage: broken_traces.sh APCSIM OUTDIR}
out=${2:?usage: broken_traces.sh APCSIM OUTDIR}
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
cd "$out" || exit 1
good=good.db
if ! "$apcsim" run "$here/traces/small.lua" --db "$good" -q >/dev/null 2>gen.err; then
  echo "broken_traces.sh: cannot make the good trace: $(head -3 gen.err)" >&2
  exit 1
fi
pages=$(sqlite3 "$good" "pragma page_count")
psize=$(sqlite3 "$good" "pragma page_size")
row() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4"; }
copy() { cp "$good" "$1"; }
ff_pages() {  # FILE FIRST-PAGE(0-based) COUNT: overwrite with 0xFF bytes
  head -c $(( $3 * psize )) /dev/zero | tr '\0' '\377' | dd of="$1" bs="$psize" seek="$2" conv=notrunc 2>/dev/null
}
pattern() {  # N bytes of a fixed non-SQLite pattern
  local n=$1 s=""
  while [ ${#s} -lt "$n" ]; do s="${s}apcsim-hostile-garbage-\x01\x02\x7f\xfe;"; done
  printf "$s" | head -c "$n"
}

# ---- 10: not found / not a regular file
row missing.db 10 "does not exist" "no such file"
mkdir -p directory.db
row directory.db 10 "is a directory" "a directory instead of a file"
rm -f fifo.db; mkfifo fifo.db
row fifo.db 10 "is not a regular file" "a FIFO (reading would block)"
ln -sfn /nonexistent/apcsim/trace.db dangling.db
row dangling.db 10 "does not exist" "a dangling symlink"
ln -sfn /dev/zero devzero.db
row devzero.db 10 "is not a regular file" "a symlink to /dev/zero (endless)"

# ---- 11: not SQLite, garbage, truncated
: > empty.db
row empty.db 11 "is empty" "zero-length file"
pattern 8192 > garbage.db
row garbage.db 11 "is not a SQLite database" "8 KiB of garbage bytes"
printf 'this is not a database, it is a blog post about APCs\n' > text.db
row text.db 11 "is not a SQLite database" "a text file"
head -c $(( pages * psize / 2 )) "$good" > truncated_half.db
row truncated_half.db 11 "is truncated" "first half of a trace"
head -c $(( (pages - 1) * psize )) "$good" > truncated_last_page.db
row truncated_last_page.db 11 "is truncated" "last page missing (page-aligned cut)"
head -c 50 "$good" > truncated_header.db
row truncated_header.db 11 "is truncated" "cut inside the 100-byte header"
copy bad_page_size.db; printf '\000\003' | dd of=bad_page_size.db bs=1 seek=16 conv=notrunc 2>/dev/null
row bad_page_size.db 11 "bad page size" "header page size field corrupted"
copy garbage_pages.db; ff_pages garbage_pages.db 1 $(( pages - 2 ))
row garbage_pages.db "11|15" "damaged" "every page but the first and last overwritten with 0xFF"
copy garbage_event_page.db; ff_pages garbage_event_page.db 3 1
row garbage_event_page.db "11|15" "damaged" "one page of the event table overwritten with 0xFF"

# ---- 12: a SQLite file that is not an apcsim trace
rm -f foreign.db; sqlite3 foreign.db "create table t(x); insert into t values(1);"
row foreign.db 12 "not an apcsim trace" "somebody else's SQLite database"
copy other_application_id.db; sqlite3 other_application_id.db "pragma application_id = 1234"
row other_application_id.db 12 "not an apcsim trace" "an apcsim schema under another application_id"

# ---- 13: another schema version
copy user_version_2.db; sqlite3 user_version_2.db "pragma user_version = 2"
row user_version_2.db 13 "schema version 2" "a trace from a newer apcsim"
copy user_version_0.db; sqlite3 user_version_0.db "pragma user_version = 0"
row user_version_0.db 13 "schema version 0" "a trace from an older apcsim"

# ---- 14: a run that did not complete
"$apcsim" run "$here/interrupt/long_run.lua" --db interrupted.db -q >/dev/null 2>&1 &
pid=$!
sleep 0.5
kill -INT "$pid" 2>/dev/null
for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
if [ -f interrupted.db.partial ]; then
  row interrupted.db.partial 14 "did not complete" "the .partial of a real interrupted run"
else
  row interrupted.db.partial 14 "did not complete" "the .partial of a real interrupted run (GENERATOR: the interrupted run left no .partial)"
fi
rm -f interrupted.db
copy complete_0.db; sqlite3 complete_0.db "update meta set value = '0' where key = 'complete'"
row complete_0.db 14 "did not complete" "meta.complete = 0"
copy complete_missing.db; sqlite3 complete_missing.db "delete from meta where key = 'complete'"
row complete_missing.db 14 "did not complete" "no meta.complete row"

# ---- 15: damaged: missing tables, views, columns, unreadable rows
copy no_event_table.db; sqlite3 no_event_table.db "drop view v_event; drop view v_mark; drop table event"
row no_event_table.db 15 "no table event" "the event table dropped"
copy no_meta_table.db; sqlite3 no_meta_table.db "drop table meta"
row no_meta_table.db 15 "no table meta" "the meta table dropped"
copy no_view.db; sqlite3 no_view.db "drop view v_event"
row no_view.db 15 "v_event" "the v_event view dropped"
copy missing_column.db; sqlite3 missing_column.db "alter table event rename column text to txt"
row missing_column.db 15 "no such column" "a column renamed"
copy bad_rows.db; sqlite3 bad_rows.db "update event set t = 'soon' where seq = 6; update event set kind = 9999 where seq = 5"
row bad_rows.db 15 "damaged" "rows with a text time and an unknown kind"
copy rows_missing.db; sqlite3 rows_missing.db "delete from event where seq between 8 and 10"
row rows_missing.db 15 "damaged" "rows deleted from the middle"
copy rows_added.db; sqlite3 rows_added.db "insert into event select seq + 1000, t, kind, cpu, thread, obj, a, b, c, d, e, text from event where seq between 3 and 5"
row rows_added.db 15 "damaged" "rows copied in after the end"
copy time_back.db; sqlite3 time_back.db "update event set t = -100 where seq = (select max(seq) - 2 from event)"
row time_back.db 15 "damaged" "a row whose time goes back"
copy cpu_range.db; sqlite3 cpu_range.db "update event set cpu = 77 where seq = (select min(seq) from event where cpu is not null)"
row cpu_range.db 15 "damaged" "a row on a CPU the machine does not have"
copy meta_cpus.db; sqlite3 meta_cpus.db "update meta set value = '-1' where key = 'cpus'"
row meta_cpus.db 15 "meta.cpus" "meta.cpus edited to -1"
copy meta_seed.db; sqlite3 meta_seed.db "update meta set value = 'abc' where key = 'seed'"
row meta_seed.db 15 "meta.seed" "meta.seed edited to a word"
exit 0
