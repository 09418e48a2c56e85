#!/usr/bin/env bash
# The whole suite (what `make test` runs): unit tests, scenario tests,
# determinism. Prints one closing line "N passed, M failed".
set -u
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# every scenario of the suite runs with the invariant checker on (exit 5 on a violation)
export APCSIM_CHECK_INVARIANTS=1
total_pass=0; total_fail=0
run() {
  local out; out=$("$@" 2>&1); local rc=$?
  printf '%s\n' "$out"
  local line; line=$(printf '%s\n' "$out" | grep -E '^[a-z-]+: [0-9]+ passed, [0-9]+ failed' | tail -1)
  local p f
  p=$(printf '%s' "$line" | sed -E 's/^[a-z-]+: ([0-9]+) passed.*/\1/'); f=$(printf '%s' "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
  total_pass=$((total_pass + ${p:-0})); total_fail=$((total_fail + ${f:-0}))
  if [ $rc -ne 0 ] && [ "${f:-0}" = 0 ]; then total_fail=$((total_fail + 1)); fi
}
units=$(ls "$build"/tests/test_* 2>/dev/null | grep -v '\.d$\|\.o$')
run tests/run_unit.sh $units
run tests/run_scenarios.sh "$build/apcsim"
run tests/regress_test.sh "$build/apcsim"
run tests/replay_why_test.sh "$build/apcsim"
run tests/replay_cli_test.sh "$build/apcsim"
run tests/dump_filter_test.sh "$build/apcsim"
run tests/run_seeds_test.sh "$build/apcsim"
run tests/run_options_test.sh "$build/apcsim"
run tests/diff_test.sh "$build/apcsim"
run python3 tests/doc_output_test.py "$build/apcsim"
run env JOBS=2 tests/plot_test.sh "$build/apcsim"
run tests/fuzz/fuzz_test.sh "$build/apcsim"
run tests/rule_coverage.sh
run python3 docs/make_rules_index.py --check
if [ -z "${SKIP_DETERMINISM:-}" ]; then run tests/determinism.sh "$build/apcsim"; fi
if [ "${2:-}" = with-sanitizers ]; then
  echo "== the suite again under AddressSanitizer + UBSan (build-san/) =="
  if make -s SAN=address,undefined build-san/apcsim $(ls tests/unit/test_*.c | sed 's|tests/unit/\(.*\)\.c|build-san/tests/\1|') >/dev/null; then
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    run tests/run_unit.sh $(ls build-san/tests/test_* | grep -v '\.[do]$')
    run tests/run_scenarios.sh build-san/apcsim
    # hostile inputs run under both builds (the runner takes build-san/ itself)
    run tests/hostile/run_hostile.sh "$build/apcsim"
    run tests/fuzz/trace_fuzz.sh build-san/apcsim 1 60
  else
    echo "sanitizers: 0 passed, 1 failed (build failed)"; total_fail=$((total_fail + 1))
  fi
fi
echo
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
