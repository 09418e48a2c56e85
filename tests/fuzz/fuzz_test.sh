#!/usr/bin/env bash
# fuzz_test.sh [APCSIM] - the fuzzer's part of `make test`.
#
#  1. the generator is deterministic (same seed, same bytes; --batch = single);
#  2. the minimizer works: a scenario of many tagged actions, one of which is
#     expect(false), shrinks to that action (at top level, and inside a
#     thread body, where the thread's block must stay);
#  3. FUZZ_TEST_SEEDS generated scenarios (default 300, seeds 1..300) run with
#     the invariant checker, two at a time (run_fuzz.sh; FUZZ_MAX_MIN=1
#     minimizes the first failure of each kind found).
# Closing line: "fuzz-test: N passed, M failed" (each seed and each self-test
# counts one). Exit 1 if anything failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
apcsim=${1:-$root/build/apcsim}
case $apcsim in /*) ;; *) apcsim="$PWD/$apcsim" ;; esac
seeds=${FUZZ_TEST_SEEDS:-300}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/apcsim-fuzz-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok()  { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

# 1. determinism
python3 "$here/gen_scenario.py" 4242 --out "$tmp/a.lua"
python3 "$here/gen_scenario.py" 4242 --out "$tmp/b.lua"
python3 "$here/gen_scenario.py" 4241 --batch 2 --dir "$tmp"
if cmp -s "$tmp/a.lua" "$tmp/b.lua" && cmp -s "$tmp/a.lua" "$tmp/fuzz-4242.lua" \
   && ! cmp -s "$tmp/a.lua" "$tmp/fuzz-4241.lua"; then
  ok "generator: same seed, same scenario (--out and --batch); another seed, another one"
else
  bad "generator: not deterministic"
fi

# 2. the minimizer: 40 actions, blocks included, one expect(false)
selftest() {    # $1 name, $2 where the failing action goes (top | thread), $3 expected tags left
  local f="$tmp/min-$1.lua" n=1
  {
    echo "machine { cpus = 2 }"
    echo "local e = event { name = \"e\" }"
    for i in 1 2 3; do
      echo "thread { name = \"t$i\", system = true, body = function() -- A$n"; local t=$n; n=$((n + 1))
      for _ in 1 2 3 4; do echo "  compute(us(10)) -- A$n"; n=$((n + 1)); done
      echo "  KeEnterCriticalRegion() -- A$n"; local r=$n; n=$((n + 1))
      echo "    KeSetEvent(e, 0) -- A$n"; n=$((n + 1))
      # (compute() first: it needs a thread, so the action cannot be hoisted to the top level,
      # where a failed expect() ends the run the same way)
      if [ "$2" = thread ] && [ "$i" = 2 ]; then echo "    compute(1); expect(false, \"the failing action\") -- A99"; fi
      echo "    compute(us(5)) -- A$n"; n=$((n + 1))
      echo "  KeLeaveCriticalRegion() -- A$r"
      echo "end } -- A$t"
    done
    if [ "$2" = top ]; then echo "at(us(5), function() expect(false, \"the failing action\") end) -- A99"; fi
    for i in 1 2 3 4; do
      echo "at(us($((i * 10))), function() -- A$n"; local a=$n; n=$((n + 1))
      echo "  KeSetEvent(e, 0) -- A$n"; n=$((n + 1))
      echo "end) -- A$a"
    done
  } >"$f"
  if python3 "$here/minimize.py" "$apcsim" "$f" 1 --out "$tmp/min-$1.out.lua" 2>"$tmp/min-$1.err"; then
    local left
    left=$(grep -o -- '-- A[0-9]*$' "$tmp/min-$1.out.lua" | sort -u | tr -d ' -' | tr '\n' ' ')
    if [ "$left" = "$3" ]; then
      ok "minimizer: expect(false) $2 -> actions ${left% }"
    else
      bad "minimizer: expect(false) $2 -> actions '$left', expected '$3'"; cat "$tmp/min-$1.out.lua"
    fi
  else
    bad "minimizer: $(tail -1 "$tmp/min-$1.err")"
  fi
}
selftest top top "A99 "   # an at() one-liner among 3 threads and 4 at() blocks
selftest nested thread "A9 A99 "

# 2b. the reductions of earlier findings stay fixed: each runs clean under the invariant
# checker (exit 0, or its "-- expect-exit:" header)
for f in "$here"/findings/*.lua; do
  want=$(sed -n 's/^-- expect-exit: *\([0-9]*\).*/\1/p' "$f" | head -1)
  timeout 60 "$apcsim" run "$f" --check-invariants --no-trace -q >/dev/null 2>"$tmp/finding.err"; rc=$?
  if [ "$rc" = "${want:-0}" ]; then ok "finding $(basename "$f" .lua): exit $rc"
  else bad "finding $(basename "$f" .lua): exit $rc, expected ${want:-0}: $(head -1 "$tmp/finding.err")"; fi
done

# 3. generated scenarios
FUZZ_JOBS=${FUZZ_JOBS:-2} FUZZ_MAX_MIN=${FUZZ_MAX_MIN:-1} FUZZ_MIN_BUDGET=${FUZZ_MIN_BUDGET:-30} FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-20} \
  "$here/run_fuzz.sh" "$apcsim" 1 "$seeds" | tee "$tmp/run.out"
line=$(grep -E '^fuzz: [0-9]+ passed, [0-9]+ failed' "$tmp/run.out" | tail -1)
p=$(echo "$line" | sed -E 's/^fuzz: ([0-9]+) passed.*/\1/'); f=$(echo "$line" | sed -E 's/^fuzz: [0-9]+ passed, ([0-9]+) failed.*/\1/')
if [ -z "$line" ]; then
  fail=$((fail + seeds))
else
  pass=$((pass + p)); fail=$((fail + f))
fi
echo "fuzz-test: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
