#!/usr/bin/env bash
# apcsim replay's point options: --seq N rebuilds the state after row N,
# and a row number that is not one (too large for the trace, out of the
# integer range, signed, blank) is a usage error quoting what was typed.
# Option values that are not ASCII (a UTF-8 thread name, "µs") reach every
# command as given, whatever the locale.
# Closing line: "replay-cli: N passed, M failed".
apcsim=${1:?usage: replay_cli_test.sh path/to/apcsim}
. "$(dirname "$0")/check_lib.sh"
db=$tmp/q.db
"$apcsim" run scenarios/quickstart.lua --db "$db" -q >/dev/null 2>&1
rows=$("$apcsim" dump "$db" --no-meta | wc -l)
"$apcsim" replay "$db" --seq 3 >"$tmp/out" 2>&1; rc=$?
[ $rc = 0 ] && grep -q "^state  after row 3, t = " "$tmp/out"; check "--seq 3: the state after row 3" $?
"$apcsim" replay "$db" --seq "$rows" >"$tmp/out" 2>&1; rc=$?
[ $rc = 0 ] && grep -q "^state  after row $rows," "$tmp/out"; check "--seq of the last row ($rows)" $?
"$apcsim" replay "$db" --seq $((rows + 1)) >"$tmp/out" 2>&1; rc=$?
[ $rc = 2 ] && grep -q "the trace has $rows rows" "$tmp/out"; check "--seq past the last row: exit 2, says how many rows" $?
for bad in 99999999999999999999 -1 +3 ' 3' '' 3x; do
  "$apcsim" replay "$db" --seq "$bad" >"$tmp/out" 2>&1; rc=$?
  [ $rc = 2 ] && grep -qF -- "not '$bad'" "$tmp/out"; check "--seq '$bad': exit 2, quoted as typed" $?
done
printf 'machine { cpus = 1 }\nthread { name = param("name", "x"), body = function() compute(us(10)) end }\n' > "$tmp/uni.lua"
LC_ALL=C "$apcsim" run "$tmp/uni.lua" --param name=wörker --db "$tmp/uni.db" -q >"$tmp/out" 2>&1; rc=$?
[ $rc = 0 ]; check "run --param name=wörker (UTF-8) under LC_ALL=C" $?
LC_ALL=C "$apcsim" dump "$tmp/uni.db" --no-meta --thread wörker >"$tmp/out" 2>&1; rc=$?
[ $rc = 0 ] && grep -q " wörker THREAD_CREATE " "$tmp/out"; check "dump --thread wörker selects the thread" $?
LC_ALL=C "$apcsim" replay "$tmp/uni.db" --thread wörker --at 5µs >"$tmp/out" 2>&1; rc=$?
[ $rc = 0 ] && grep -q "^THREAD wörker " "$tmp/out" && grep -q "(--at 5.000 us)" "$tmp/out"
check "replay --thread wörker --at 5µs" $?
"$apcsim" replay "$db" --at 600us --cpu 0 --thread worker >"$tmp/out" 2>&1; rc=$?
[ $rc = 0 ] && grep -q "^0: kd> !pcr 0" "$tmp/out" && grep -q "^0: kd> !thread worker" "$tmp/out" &&
  grep -q "^0: kd> !apc thread worker" "$tmp/out"
check "--cpu with --thread keeps the thread's !apc section" $?
"$apcsim" replay "$db" --stats >"$tmp/out" 2>&1
! grep -q "replay --index FILE adds them" "$tmp/out"; check "--stats does not suggest --index for a trace too short for checkpoints" $?
# T3/T4/SU2: replay puts a special user APC behind an exit APC at the head, as the kernel does
"$apcsim" run tests/scenarios/issue4/T4_T7_exit_apc_and_special_user_apc_win10.lua --profile win10 --param when=after \
  --db "$tmp/ex.db" -q >/dev/null 2>&1
"$apcsim" replay "$tmp/ex.db" --at 50us --thread T1 >"$tmp/out" 2>&1
grep "^    KAPC" "$tmp/out" | head -2 | awk '{print $2}' | tr '\n' ' ' | grep -q "^T1.ExitApc SpecialUserApc $"
check "replay: the exit APC stays ahead of a special user APC queued after it" $?
check_done replay-cli
