#!/usr/bin/env bash
# apcsim dump's filters (--thread, --kind, --from, --to, --no-meta): each
# keeps exactly the lines of the full dump that an awk filter over the same
# columns keeps, unchanged. Closing line: "dump-filter: N passed, M failed".
apcsim=${1:?usage: dump_filter_test.sh path/to/apcsim}
. "$(dirname "$0")/check_lib.sh"
db=$tmp/t.db
"$apcsim" run scenarios/critical_region_defers_normal_apc.lua --db "$db" -q >/dev/null 2>&1
"$apcsim" dump "$db" > "$tmp/full"
grep -v '^#' "$tmp/full" > "$tmp/rows"
# same NAME EXPECTED-FILE -- DUMP-ARGS: the filtered dump (without meta) equals EXPECTED-FILE, non-empty
same() {
  local name=$1 want=$2; shift 3
  "$apcsim" dump "$db" --no-meta "$@" > "$tmp/got" 2>"$tmp/err"
  diff "$want" "$tmp/got" > "$tmp/out"
  [ -s "$want" ] && [ ! -s "$tmp/out" ]; check "$name" $?
}
awk '$4 == "fsd"' "$tmp/rows" > "$tmp/w1"
same "--thread fsd keeps exactly fsd's rows" "$tmp/w1" -- --thread fsd
awk '$4 == "fsd" || $4 == "Idle/0"' "$tmp/rows" > "$tmp/w2"
same "--thread A,B and --thread A --thread B keep both threads' rows" "$tmp/w2" -- --thread fsd,Idle/0
same "(the same, repeated)" "$tmp/w2" -- --thread fsd --thread Idle/0
awk '$5 ~ /^APC_/' "$tmp/rows" > "$tmp/k1"
same "--kind 'APC_*' keeps the APC_ rows (a pattern)" "$tmp/k1" -- --kind 'APC_*'
awk '$5 == "MARK" || $5 == "IRQL"' "$tmp/rows" > "$tmp/k2"
same "--kind MARK,IRQL keeps exactly those kinds" "$tmp/k2" -- --kind MARK,IRQL
awk '$2 >= 100000 && $2 <= 160000' "$tmp/rows" > "$tmp/t1"
same "--from 100us --to 160us keeps that window, both ends included" "$tmp/t1" -- --from 100us --to 160us
awk '$6 == "N1"' "$tmp/rows" > "$tmp/a1"
same "--apc N1 keeps the life of that APC (init, insert, dequeue, routines)" "$tmp/a1" -- --apc N1
grep -q ' APC_INIT N1 ' "$tmp/a1" && grep -q ' ROUTINE_END N1 ' "$tmp/a1"; check "(from APC_INIT to ROUTINE_END)" $?
awk '$2 >= 100000 && $4 == "fsd" && $5 ~ /^APC_/' "$tmp/rows" > "$tmp/all"
same "filters combine (and)" "$tmp/all" -- --from 100000 --thread fsd --kind 'APC_*'
"$apcsim" dump "$db" --kind MARK | grep -c '^#' | grep -qv '^0$'; check "without --no-meta the meta lines stay" $?
"$apcsim" dump "$db" --from 1x >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q "'1x' is not a time" "$tmp/err"; check "a bad time is a usage error (exit 2) that names it" $?
"$apcsim" dump "$db" --from 2ms --to 1ms >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q "before --from" "$tmp/err"; check "--to before --from is a usage error" $?
# names that name nothing are refused, before anything is printed (a typo must not look like "nothing happened")
for a in "--thread nosuch" "--thread fsd,nosuch" "--kind apc_insert" "--apc nosuch"; do
  # shellcheck disable=SC2086
  "$apcsim" dump "$db" $a >"$tmp/out" 2>"$tmp/err"; rc=$?
  [ $rc = 2 ] && [ ! -s "$tmp/out" ] && grep -q "'${a##*[ ,]}'" "$tmp/err"; check "dump $a: exit 2, nothing printed, the name quoted" $?
done
"$apcsim" dump "$db" --thread '' >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q "empty" "$tmp/err"; check "an empty --thread is a usage error, not a filter that matches nothing" $?
# --apc keeps APCs, not DPCs (their names share the trace's name table)
"$apcsim" run scenarios/quickstart.lua --db "$tmp/q.db" -q >/dev/null 2>&1
"$apcsim" dump "$tmp/q.db" --no-meta --apc '*' >"$tmp/out"
grep -q ' APC_INIT ' "$tmp/out" && ! grep -q ' DPC_' "$tmp/out" && ! grep -q 'routine=Dpc' "$tmp/out"
check "--apc '*' keeps the APC rows and none of the DPC's" $?
"$apcsim" dump "$tmp/q.db" --no-meta --apc 'at@*' >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && [ ! -s "$tmp/out" ] && grep -q "no APC matching it (only DPCs)" "$tmp/err"
check "--apc matching only DPC names: exit 2, says so" $?
check_done dump-filter
