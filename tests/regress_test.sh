#!/usr/bin/env bash
# apcsim regress: the recorded goldens pass, and a changed golden, another
# seed, another profile or another schema version are each caught.
# Closing line: "regress-test: N passed, M failed".
apcsim=${1:?usage: regress_test.sh path/to/apcsim}
. "$(dirname "$0")/check_lib.sh"
"$apcsim" regress >"$tmp/out" 2>&1; rc=$?
[ $rc = 0 ] && grep -q "regress: [0-9]* passed, 0 failed" "$tmp/out"; check "all goldens of scenarios/ match" $?
cat "$tmp/out" | tail -1

cp -r tests/golden "$tmp/g"
g="$tmp/g/scenarios_quickstart.txt"
ln=$(grep -n "WAIT_END status=STATUS_USER_APC" "$g" | head -1 | cut -d: -f1)
seq=$(sed -n "${ln}p" "$g" | cut -d' ' -f1)
sed -i "${ln}s/STATUS_USER_APC/STATUS_TIMEOUT/" "$g"
"$apcsim" regress --golden-dir "$tmp/g" scenarios/quickstart.lua >"$tmp/out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "diverges" "$tmp/out" && grep -q "golden: > $seq .*WAIT_END status=STATUS_TIMEOUT" "$tmp/out" &&
  grep -q "now:    > $seq .*WAIT_END status=STATUS_USER_APC" "$tmp/out" &&
  grep -q "transition $seq was produced by scenarios/quickstart.lua:[0-9]" "$tmp/out"
check "one changed transition: exit 1, first divergence $seq with context and scenario line" $?

"$apcsim" regress --seed 5 scenarios/quickstart.lua >"$tmp/out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "seed=5" "$tmp/out"; check "another seed diverges (exit 1)" $?

cp tests/golden/scenarios_quickstart.txt "$g"
sed -i 's/^# profile = nt52$/# profile = win10/' "$g"
"$apcsim" regress --golden-dir "$tmp/g" scenarios/quickstart.lua >"$tmp/out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "recorded under profile win10, this run is nt52: refused" "$tmp/out"; check "golden of another profile refused" $?

cp tests/golden/scenarios_quickstart.txt "$g"
sed -i 's/^# schema_version = .*/# schema_version = 99/' "$g"
"$apcsim" regress --golden-dir "$tmp/g" scenarios/quickstart.lua >"$tmp/out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "schema version 99.*refused" "$tmp/out"; check "golden of another schema version refused" $?

rm "$g"
"$apcsim" regress --golden-dir "$tmp/g" scenarios/quickstart.lua >"$tmp/out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "no golden" "$tmp/out"; check "missing golden reported" $?

check_done regress-test
