#!/usr/bin/env bash
# Runs every scenario test (tests/scenarios/**/*.lua) and every scenario for
# people (scenarios/*.lua) through `apcsim run`, and checks the outcome the
# file asks for in its header comments:
#   -- expect-exit: N              exit status (default 0)
#   -- expect-stderr: TEXT         TEXT must appear in stderr (may repeat)
#   -- expect-stdout: TEXT         TEXT must appear in the run's summary on stdout (may repeat;
#                                  with it the run is made without -q)
#   -- args: ARGS                  extra arguments for apcsim run (e.g. --profile win10);
#                                  several lines = several runs (an empty one = no arguments)
#   -- expect-stdout-order: TEXT   these lines must appear in the summary in this order
#   -- expect-dump: TEXT           TEXT must appear in `apcsim dump` of the run's trace (may repeat)
#   -- expect-dump-order: TEXT     these lines, all of them, must appear in the dump in this order
#                                  (each TEXT in a later dump line than the one before)
#   -- expect-no-dump: TEXT        TEXT must not appear anywhere in the dump (may repeat)
#   -- expect-dump-count: N TEXT   exactly N dump lines contain TEXT (may repeat)
# Closing line: "scenarios: N passed, M failed".
set -u
apcsim=${1:?usage: run_scenarios.sh path/to/apcsim}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
# first_missing ORDER FILE: the first line of ORDER that FILE does not contain
# after the line that held the one before it (empty when all are there, in order)
first_missing() {
  awk 'NR == FNR { want[++n] = $0; next }
       k < n && index($0, want[k + 1]) { k++ }
       END { if (k < n) print want[k + 1] }' "$1" "$2"
}
files=$(cd "$root" && { find tests/scenarios -name '*.lua' 2>/dev/null; ls scenarios/*.lua 2>/dev/null; } | LC_ALL=C sort)
for f in $files; do
 want=$(sed -n 's/^-- expect-exit: *\([0-9]*\).*/\1/p' "$root/$f" | head -1); want=${want:-0}
 # one run per "-- args:" line (an empty one is a run with no extra arguments)
 nargs=$(grep -c '^-- args:' "$root/$f"); [ "$nargs" -gt 0 ] || nargs=1
 for k in $(seq 1 "$nargs"); do
  args=$(sed -n 's/^-- args: *//p' "$root/$f" | sed -n "${k}p")
  quiet=-q; grep -q '^-- expect-stdout\(-order\)\?:' "$root/$f" && quiet=
  # shellcheck disable=SC2086
  (cd "$root" && timeout 120 "$apcsim" run "$f" --db "$tmp/t.db" $quiet $args) >"$tmp/out" 2>"$tmp/err"
  rc=$?
  ok=1; why=""
  if [ "$rc" != "$want" ]; then ok=0; why="exit $rc, expected $want"; fi
  while IFS= read -r needle; do
    [ -z "$needle" ] && continue
    if ! grep -qF -- "$needle" "$tmp/err"; then ok=0; why="${why:+$why; }stderr lacks: $needle"; fi
  done < <(sed -n 's/^-- expect-stderr: *//p' "$root/$f")
  while IFS= read -r needle; do
    [ -z "$needle" ] && continue
    if ! grep -qF -- "$needle" "$tmp/out"; then ok=0; why="${why:+$why; }stdout lacks: $needle"; fi
  done < <(sed -n 's/^-- expect-stdout: *//p' "$root/$f")
  sed -n 's/^-- expect-stdout-order: *//p' "$root/$f" > "$tmp/order"
  if [ -s "$tmp/order" ]; then
    missing=$(first_missing "$tmp/order" "$tmp/out")
    [ -n "$missing" ] && { ok=0; why="${why:+$why; }stdout lacks, in order: $missing"; }
  fi
  if grep -q '^-- expect-\(no-\)\?dump\(-order\|-count\)\?:' "$root/$f"; then
    "$apcsim" dump "$tmp/t.db" >"$tmp/dump" 2>&1 || { ok=0; why="${why:+$why; }apcsim dump failed"; }
    while IFS= read -r needle; do
      [ -z "$needle" ] && continue
      if ! grep -qF -- "$needle" "$tmp/dump"; then ok=0; why="${why:+$why; }dump lacks: $needle"; fi
    done < <(sed -n 's/^-- expect-dump: *//p' "$root/$f")
    while IFS= read -r needle; do
      [ -z "$needle" ] && continue
      if grep -qF -- "$needle" "$tmp/dump"; then ok=0; why="${why:+$why; }dump has: $needle"; fi
    done < <(sed -n 's/^-- expect-no-dump: *//p' "$root/$f")
    while read -r n needle; do
      [ -z "$needle" ] && continue
      got=$(grep -cF -- "$needle" "$tmp/dump")
      [ "$got" = "$n" ] || { ok=0; why="${why:+$why; }dump has $got lines with: $needle (expected $n)"; }
    done < <(sed -n 's/^-- expect-dump-count: *//p' "$root/$f")
    sed -n 's/^-- expect-dump-order: *//p' "$root/$f" > "$tmp/order"
    if [ -s "$tmp/order" ]; then
      missing=$(first_missing "$tmp/order" "$tmp/dump")
      [ -n "$missing" ] && { ok=0; why="${why:+$why; }dump lacks, in order: $missing"; }
    fi
  fi
  label="$f${args:+ ($args)}"
  if [ $ok = 1 ]; then
    pass=$((pass + 1)); echo "ok   $label"
  else
    fail=$((fail + 1)); echo "FAIL $label: $why"; sed 's/^/     | /' "$tmp/err" | head -30
  fi
  rm -f "$tmp"/t.db*
 done
done
echo "scenarios: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
