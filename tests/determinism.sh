#!/usr/bin/env bash
# Determinism: `apcsim dump` of every scenario in scenarios/ and tests/scenarios/
# must be byte-identical across two runs, across -O0 and -O2, and across gcc
# and clang, and between the trace writer thread and synchronous writes (the
# second run of the main build has APCSIM_TRACE_THREAD=0). Builds the extra
# configurations in their own directories.
# Closing line: "determinism: N passed, M failed".
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
main=${1:-build/apcsim}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
builds=("$main")
make -s OPT=-O0 BUILD=build-O0 build-O0/apcsim >/dev/null || { echo "determinism: cannot build -O0"; exit 1; }
builds+=(build-O0/apcsim)
if command -v clang >/dev/null; then
  make -s CC=clang OPT=-O2 BUILD=build-clang build-clang/apcsim >/dev/null || { echo "determinism: cannot build with clang"; exit 1; }
  builds+=(build-clang/apcsim)
else
  echo "determinism: clang not installed; gcc-vs-clang comparison skipped"
fi
pass=0; fail=0
for f in $(ls scenarios/*.lua; find tests/scenarios -name '*.lua' | LC_ALL=C sort); do
 # one check per `-- args:` line (a scenario run once per profile or matrix row
 # is checked in every one of its runs), or one without arguments
 nargs=$(grep -c '^-- args:' "$f"); [ "$nargs" -eq 0 ] && nargs=1
 for k in $(seq 1 "$nargs"); do
  args=$(sed -n 's/^-- args: *//p' "$f" | sed -n "${k}p")
  ref=""
  ok=1
  i=0
  for b in "${builds[@]}" "$main"; do
    i=$((i + 1))
    sync=1; [ "$i" -gt "${#builds[@]}" ] && sync=0
    # shellcheck disable=SC2086
    APCSIM_TRACE_THREAD=$sync "$b" run "$f" --db "$tmp/$i.db" -q $args >/dev/null 2>&1
    if [ ! -f "$tmp/$i.db" ]; then continue; fi
    "$b" dump "$tmp/$i.db" | grep -v '^# scenario_sha256\|^# apcsim_version' > "$tmp/$i.txt"
    if [ -z "$ref" ]; then ref="$tmp/$i.txt"; elif ! cmp -s "$ref" "$tmp/$i.txt"; then
      ok=0; echo "FAIL $f${args:+ ($args)}: dump differs between ${builds[0]} and $b"; diff "$ref" "$tmp/$i.txt" | head -10
    fi
  done
  if [ -z "$ref" ]; then echo "skip $f${args:+ ($args)} (no trace: scenario refused at setup)"; continue; fi
  if [ $ok = 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
  rm -f "$tmp"/*.db "$tmp"/*.txt
 done
done
echo "determinism: $pass passed, $fail failed (one per run; builds: ${builds[*]}, each scenario run $(( ${#builds[@]} + 1 )) times, the last without the trace writer thread)"
[ "$fail" -eq 0 ]
