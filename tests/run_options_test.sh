#!/usr/bin/env bash
# apcsim run's options: values out of range are usage errors before anything
# runs (--memory-limit, --instruction-budget, --max-events, --chart), and a
# --param the scenario never reads is warned about (a misspelt name would
# otherwise silently run the default).
# Closing line: "run-options: N passed, M failed".
apcsim=${1:?usage: run_options_test.sh path/to/apcsim}
. "$(dirname "$0")/check_lib.sh"
q=scenarios/quickstart.lua
usage() {   # usage NAME TEXT ARGS...: exit 2, TEXT on stderr, no trace written
  local name=$1 text=$2; shift 2
  "$apcsim" run "$q" --db "$tmp/u.db" -q "$@" >"$tmp/out" 2>&1; local rc=$?
  [ $rc = 2 ] && grep -qF -- "$text" "$tmp/out" && [ ! -e "$tmp/u.db" ]; check "$name" $?
}
usage "--memory-limit 0 is refused" "takes 1..1048576 MiB" --memory-limit 0
usage "--memory-limit 2^44+1 MiB is refused (it wrapped to 1 MiB)" "takes 1..1048576 MiB" --memory-limit 17592186044417
usage "--instruction-budget 0 is refused (it meant the default)" "positive number" --instruction-budget 0
usage "--max-events '' is refused (it meant no limit)" "non-negative integer" --max-events ''
usage "--max-events past INT64_MAX is refused" "non-negative integer" --max-events 99999999999999999999
usage "--chart with another extension is refused before the run" "is a .png or .svg file" --chart "$tmp/x.txt"
usage "--chart in a missing directory is refused before the run" "there is no directory" --chart "$tmp/no/x.svg"
"$apcsim" run "$q" --db "$tmp/ok.db" -q --memory-limit 64 --instruction-budget 1000000 >"$tmp/out" 2>&1
check "in-range --memory-limit and --instruction-budget run" $?
"$apcsim" run bench/storm.lua --no-trace -q --param T=10 --param apcs=30 --param threads=5 >"$tmp/out" 2>&1; rc=$?
[ $rc = 0 ] && grep -q "warning: --param T: the scenario never read it" "$tmp/out" &&
  ! grep -q "param apcs\|param threads" "$tmp/out"
check "a --param the scenario never reads is warned about; the ones it reads are not" $?
"$apcsim" run "$q" --db "$tmp/u.db" --no-trace -q >"$tmp/out" 2>&1; rc=$?
[ $rc = 0 ] && grep -q "warning: --no-trace writes no trace: --db .* is ignored" "$tmp/out" && [ ! -e "$tmp/u.db" ]
check "--db with --no-trace: said to be ignored (it was silently)" $?
"$apcsim" run scenarios >"$tmp/out" 2>&1; rc=$?
[ $rc = 3 ] && grep -q "scenarios: is a directory, not a scenario file" "$tmp/out"; check "a directory as the scenario is named as such" $?
printf 'thread { name = "a\\27b", body = function() mark("x\\27[31mred\\7 ok") end }\n' > "$tmp/ctl.lua"
"$apcsim" run "$tmp/ctl.lua" --no-trace >"$tmp/out" 2>&1
grep -qF 'a\x1bb ' "$tmp/out" && grep -qF 'x\x1b[31mred\x07 ok' "$tmp/out" && ! grep -q "$(printf '\033')" "$tmp/out"
check "control characters in thread names and marks reach the terminal escaped" $?
check_done run-options
