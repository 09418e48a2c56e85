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

# the golden goes on where the run now ends: "(end of trace)" on the run's side
cp tests/golden/scenarios_quickstart.txt "$g"
echo '79 500000 - - MARK irql=PASSIVE_LEVEL mode=UserMode "extra"' >> "$g"
"$apcsim" regress --golden-dir "$tmp/g" scenarios/quickstart.lua --context 1 >"$tmp/out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "the run now ends where the golden goes on" "$tmp/out" && grep -q "now:    > (end of trace)" "$tmp/out" &&
  ! grep -q "produced by" "$tmp/out"
check "a run that now ends before the golden: (end of trace) on the run's side" $?

for c in -1 1001 2147483647; do
  "$apcsim" regress --context=$c scenarios/quickstart.lua >"$tmp/out" 2>&1; rc=$?
  [ $rc = 2 ] && grep -q "takes 0..1000" "$tmp/out"; check "--context $c: usage error" $?
done
"$apcsim" regress README.md >"$tmp/out" 2>&1; rc=$?
[ $rc = 2 ] && grep -q "no scenario" "$tmp/out"; check "a path with no scenario: usage error, not '0 failed'" $?
"$apcsim" regress ./scenarios/quickstart.lua >"$tmp/out" 2>&1; rc=$?
[ $rc = 0 ]; check "./scenarios/x.lua matches the golden of scenarios/x.lua" $?

# a run that fails is said, even when it matches (or makes) its golden
mkdir -p "$tmp/sc" "$tmp/g2"
printf 'thread { name = "a", body = function() expect(false, "on purpose") end }\n' > "$tmp/sc/bad.lua"
"$apcsim" regress --golden-dir "$tmp/g2" --update "$tmp/sc/bad.lua" >"$tmp/out" 2>&1
grep -q "^updated .*(the run ended with status 1: expectation failed: .*bad.lua:1: on purpose)" "$tmp/out"
check "--update says the run it recorded failed" $?
"$apcsim" regress --golden-dir "$tmp/g2" "$tmp/sc/bad.lua" >"$tmp/out" 2>&1
grep -q "^ok   .*(the run ended with status 1: " "$tmp/out"; check "a match of a failing run says it failed" $?

# Ctrl-C: exit 130 at once, nothing counted for the cut-short run, no scratch left
mkdir "$tmp/t"
printf 'thread { name = "a", body = function() for i = 1, 100000000 do compute(1) end end }\n' > "$tmp/sc/long.lua"
TMPDIR="$tmp/t" "$apcsim" regress --golden-dir "$tmp/g2" --update "$tmp/sc/long.lua" scenarios/quickstart.lua >"$tmp/out" 2>&1 &
pid=$!
sleep 1
kill -INT $pid
wait $pid; rc=$?
[ $rc = 130 ] && grep -q "^interrupted at .*long.lua" "$tmp/out" && ! grep -q quickstart "$tmp/out" &&
  [ -z "$(ls -A "$tmp/t")" ]
check "Ctrl-C stops regress: exit 130, the rest not run, no scratch directory left" $?
# the '-- args:' header is read as run reads it, or the scenario fails with the reason
printf -- '-- args: --profile win11\nthread { name = "a", body = function() end }\n' > "$tmp/sc/badprof.lua"
printf -- '-- args: --param=name=x --profile=win10\nlocal n = param("name", "d")\nthread { name = n, body = function() end }\n' > "$tmp/sc/eq.lua"
printf -- "-- args: --param 'a=b\nthread { name = \"a\", body = function() end }\n" > "$tmp/sc/quote.lua"
"$apcsim" regress --golden-dir "$tmp/g3" --update "$tmp/sc/badprof.lua" "$tmp/sc/eq.lua" "$tmp/sc/quote.lua" >"$tmp/out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "badprof.lua: its '-- args:' line names an unknown profile 'win11'" "$tmp/out" &&
  grep -q "quote.lua: its '-- args:' line does not parse" "$tmp/out" &&
  grep -q "^# profile = win10\$" "$tmp/g3/"*eq.txt && grep -q " x THREAD_CREATE x " "$tmp/g3/"*eq.txt
check "-- args: --opt=value forms apply; an unknown profile or unbalanced quote fails with the reason" $?
mkdir -p "$tmp/coll/x_y" "$tmp/coll/x"
cp scenarios/quickstart.lua "$tmp/coll/x_y/z.lua"; cp scenarios/quickstart.lua "$tmp/coll/x/y_z.lua"
"$apcsim" regress --golden-dir "$tmp/gc" --update "$tmp/coll" >"$tmp/out" 2>&1; rc=$?
[ $rc = 2 ] && grep -q "would share the golden" "$tmp/out" && [ ! -e "$tmp/gc" ]
check "two scenarios whose goldens would collide (x_y/z, x/y_z): usage error, nothing written" $?
"$apcsim" regress --update --seed 5 scenarios/quickstart.lua >"$tmp/out" 2>&1; rc=$?
[ $rc = 2 ] && git diff --quiet tests/golden; check "--update with --seed is refused (a golden records the scenario's own run)" $?
check_done regress-test
