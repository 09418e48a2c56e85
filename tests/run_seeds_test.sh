#!/usr/bin/env bash
# apcsim run --seeds: one untraced run per seed, the failing seeds listed
# with their reason, the tally, the first failing seed's exit status.
# The outcome per seed is not hard-coded: the sweep must agree with one
# ordinary traced run per seed.
# Closing line: "run-seeds: N passed, M failed".
apcsim=${1:?usage: run_seeds_test.sh path/to/apcsim}
apcsim=$(cd "$(dirname "$apcsim")" && pwd)/$(basename "$apcsim")
. "$(dirname "$0")/check_lib.sh"
sc=tests/cli/race_event_vs_timeout.lua
# which seeds of 1-12 lose the race, each from its own traced run
want_bad=""
for s in $(seq 1 12); do
  "$apcsim" run "$sc" --seed "$s" --db "$tmp/s.db" -q >/dev/null 2>&1 || want_bad="${want_bad:+$want_bad, }$s"
done
"$apcsim" run "$sc" --seeds 12 >"$tmp/out" 2>&1; rc=$?
nbad=$(printf '%s' "$want_bad" | tr ',' '\n' | grep -c .)
[ -n "$want_bad" ] && [ "$nbad" -lt 12 ]; check "the fixture has seeds on both sides of the race" $?
grep -q "^seeds 1-12: 12 run, $((12 - nbad)) ended with status 0, $nbad did not: $want_bad\$" "$tmp/out"
check "the tally lists exactly the losing seeds ($want_bad)" $?
first=${want_bad%%,*}
[ "$rc" = 1 ] && grep -q "^seed $first: exit 1  expectation failed: $sc:9: the event came first, got WAIT_TIMEOUT" "$tmp/out" &&
  grep -q "^the trace of the first: apcsim run $sc --seed $first\$" "$tmp/out"
check "each losing seed names the failed expect at file:line; exit 1; the first is offered for a trace" $?
[ "$(grep -c '^seed ' "$tmp/out")" = "$nbad" ]; check "one line per losing seed, none for the others" $?
mkdir "$tmp/cwd"
(cd "$tmp/cwd" && "$apcsim" run "$root/scenarios/quickstart.lua" --seeds 3-5) >"$tmp/out" 2>&1; rc=$?
[ $rc = 0 ] && grep -q "^seeds 3-5: 3 run, 3 ended with status 0, 0 did not\$" "$tmp/out"; check "all seeds fine: exit 0" $?
[ -z "$(ls -A "$tmp/cwd")" ]; check "--seeds writes no trace (no results/ appears)" $?
"$apcsim" run "$sc" --seeds 5-3 >"$tmp/out" 2>&1; rc=$?
[ $rc = 2 ] && grep -q "takes A-B or N" "$tmp/out"; check "a reversed range is a usage error" $?
"$apcsim" run "$sc" --seeds 3 --db x.db >"$tmp/out" 2>&1; rc=$?
[ $rc = 2 ] && grep -q "does not go with" "$tmp/out"; check "--seeds with --db is a usage error" $?
(cd "$tmp/cwd" && "$apcsim" run "$root/scenarios/quickstart.lua" --seeds 0-0) >"$tmp/out" 2>&1; rc=$?
[ $rc = 0 ] && grep -q "^seeds 0-0: 1 run, 1 ended with status 0" "$tmp/out"; check "seed 0 alone (0-0) is a range" $?
printf 'machine {}\nthread { name = "a", body = function() local x = nil + 1 end }\n' > "$tmp/bad.lua"
"$apcsim" run "$tmp/bad.lua" --seeds 50 >"$tmp/out" 2>&1; rc=$?
[ $rc = 3 ] && [ "$(grep -c '^seed ' "$tmp/out")" = 1 ] && grep -q "a scenario error stops the sweep at seed 1" "$tmp/out"
check "a scenario error (exit 3) stops the sweep instead of repeating for every seed" $?
# the largest seeds: counted, not incremented past INT64_MAX (it used to wrap and never end)
timeout 60 "$apcsim" run "$sc" --seeds 9223372036854775806-9223372036854775807 >"$tmp/out" 2>&1
grep -q "^seeds 9223372036854775806-9223372036854775807: 2 run," "$tmp/out"
check "--seeds up to INT64_MAX runs two seeds and ends" $?
for bad in ' 2' '+2' '1- 3' '1-+3'; do
  "$apcsim" run "$sc" --seeds "$bad" >"$tmp/out" 2>&1; rc=$?
  [ $rc = 2 ]; check "--seeds '$bad' is a usage error" $?
done
# the re-run hint keeps the options that shape the run; a bugcheck's reason is its name
printf 'local bug = param("bug", 0)\nthread { name = "u", body = function()\n  syscall("NtSvc", function() if bug == 1 then KeEnterCriticalRegion() end end)\nend }\n' > "$tmp/mb.lua"
"$apcsim" run "$tmp/mb.lua" --seeds 2 --param bug=1 --profile win10 >"$tmp/out" 2>&1; rc=$?
[ $rc = 4 ] && grep -q "^seed 1: exit 4  APC_INDEX_MISMATCH (1)\$" "$tmp/out"
check "a bugcheck's reason is its NT name and code, not the banner" $?
hint=$(sed -n 's/^the trace of the first: apcsim run //p' "$tmp/out")
[ "$hint" = "$tmp/mb.lua --param bug=1 --profile win10 --seed 1" ]; check "the re-run hint repeats --param and --profile ($hint)" $?
eval "\"$apcsim\" run $hint --db \"$tmp/hint.db\" -q" >/dev/null 2>&1; rc=$?
[ $rc = 4 ]; check "the re-run hint, run as printed, reproduces the failure" $?
# an interrupted sweep: exit 130, the cut-short seed not counted as failing
"$apcsim" run "$sc" --seeds 1000000 >"$tmp/out" 2>&1 &
pid=$!
sleep 1
kill -INT $pid
wait $pid; rc=$?
run=$(sed -n 's/^seeds 1-1000000: \([0-9]*\) run, .*/\1/p' "$tmp/out")
[ $rc = 130 ] && grep -q "^interrupted after $run seeds\$" "$tmp/out" && ! grep -q "exit 130" "$tmp/out"
check "an interrupted sweep exits 130, says after how many seeds, and lists no seed as failed by the interruption" $?
nlisted=$(sed -n 's/^seeds 1-1000000: .* did not: //p' "$tmp/out" | tr ',' '\n' | grep -c '^ *[0-9]')
nbad=$(grep -c '^seed ' "$tmp/out")
{ [ "$nbad" -le 50 ] || grep -q " and $((nbad - 50)) more\$" "$tmp/out"; } && [ "$nlisted" -le 50 ]
check "the tally lists at most 50 seeds, then 'and N more'" $?
# --max-events N handles exactly N events, and the clock stays at the last one
(cd "$tmp/cwd" && "$apcsim" run "$root/scenarios/quickstart.lua" --max-events 5 --db "$tmp/me.db" -q) >"$tmp/out" 2>&1
last=$("$apcsim" dump "$tmp/me.db" --no-meta --kind RUN_END)
end=$("$apcsim" dump "$tmp/me.db" | sed -n 's/^# end_time_ns = //p')
prev=$("$apcsim" dump "$tmp/me.db" --no-meta | tail -2 | head -1 | cut -d' ' -f2)
printf '%s\n' "$last" | grep -q "events=5 event limit reached" && [ "$end" = "$prev" ]
check "--max-events 5: 5 events, the run ends at the time of the last row before RUN_END ($end = $prev)" $?
# a sweep whose runs stop at --max-events gives no verdict for them
(cd "$tmp/cwd" && "$apcsim" run "$root/scenarios/quickstart.lua" --seeds 3 --max-events 1) >"$tmp/out" 2>&1; rc=$?
[ $rc = 0 ] && [ "$(grep -c 'stopped at --max-events 1 (no verdict)' "$tmp/out")" = 3 ] &&
  grep -q "^seeds 1-3: 3 run, 0 ended with status 0, 0 did not\$" "$tmp/out" && grep -q "^3 stopped at --max-events" "$tmp/out"
check "--seeds with --max-events: runs cut short are listed as such, not counted as passing" $?
check_done run-seeds
