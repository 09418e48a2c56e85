#!/usr/bin/env bash
# Fuzz the trace readers with corrupted databases (a seeded byte mutator):
# every mutant of a valid trace goes through dump, replay, plot and export,
# which must either work or refuse it with their documented statuses
# (0, or 10-18) - never crash, hang, or report a sanitizer error.
#   tests/fuzz/trace_fuzz.sh APCSIM [FIRST_SEED] [COUNT]
# Closing line: "trace-fuzz: N passed, M failed (seeds FIRST..LAST)".
set -u
apcsim=${1:?usage: trace_fuzz.sh APCSIM [FIRST] [COUNT]}
first=${2:-1}; count=${3:-60}
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
py=$(command -v python3)
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd "$root" && "$apcsim" run scenarios/critical_region_defers_normal_apc.lua --db "$tmp/good.db" -q) >/dev/null 2>&1 ||
  { echo "trace-fuzz: cannot make the seed trace"; echo "trace-fuzz: 0 passed, 1 failed"; exit 1; }
pass=0; fail=0
last=$((first + count - 1))
for seed in $(seq "$first" "$last"); do
  "$py" - "$tmp/good.db" "$tmp/m.db" "$seed" <<'PY'
import random, sys
src, dst, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = bytearray(open(src, "rb").read())
r = random.Random(seed)
kind = seed % 4
if kind == 0:        # a few random bytes anywhere
    for _ in range(r.randint(1, 8)):
        data[r.randrange(len(data))] = r.randrange(256)
elif kind == 1:      # a run of garbage in one page
    page = r.randrange(len(data) // 4096 or 1) * 4096
    for i in range(page, min(len(data), page + r.randint(16, 512))):
        data[i] = r.randrange(256)
elif kind == 2:      # truncated at a random point
    data = data[: r.randrange(len(data))]
else:                # bytes of the header and the first page
    for _ in range(r.randint(1, 6)):
        data[r.randrange(min(len(data), 4096))] = r.randrange(256)
open(dst, "wb").write(bytes(data))
PY
  ok=1; why=""
  for cmd in dump replay plot export; do
    case $cmd in
      dump) args=(dump "$tmp/m.db") ;;
      replay) args=(replay "$tmp/m.db" --at 150us) ;;
      plot) args=(plot "$tmp/m.db" -o "$tmp/m.svg") ;;
      export) args=(export "$tmp/m.db" --format chrome -o "$tmp/m.json") ;;
    esac
    timeout 30 "$apcsim" "${args[@]}" >/dev/null 2>"$tmp/err"; rc=$?
    if [ $rc -ne 0 ] && { [ $rc -lt 10 ] || [ $rc -gt 18 ]; }; then ok=0; why="$why $cmd:exit $rc"; fi
    if grep -qE "AddressSanitizer|runtime error|LeakSanitizer|Assertion|CRITICAL" "$tmp/err"; then ok=0; why="$why $cmd:sanitizer"; fi
  done
  if [ $ok = 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL seed $seed:$why"; cp "$tmp/m.db" "$root/results/trace-fuzz-$seed.db" 2>/dev/null; fi
done
echo "trace-fuzz: $pass passed, $fail failed (seeds $first..$last)"
[ "$fail" -eq 0 ]
