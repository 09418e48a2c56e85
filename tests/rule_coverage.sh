#!/usr/bin/env bash
# Lists the rule IDs of SEMANTICS.md (sections 1.A-1.L) that no test cites,
# and fails if any. A test cites a rule by naming its ID as a word in its file
# name or text (tests/scenarios/**, tests/unit/*.c).
#   tests/rule_coverage.sh [SEMANTICS.md]        all of 1.A-1.L
#   SECTIONS="A B C D E F J K" tests/rule_coverage.sh   only those sections
# Section 1.M (Wine) is for comparison only and is not simulated.
# Closing line: "rules: N passed, M failed".
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
sem=${1:-$root/../shared/SEMANTICS.md}
[ -f "$sem" ] || { echo "rule_coverage: cannot read $sem"; echo "rules: 0 passed, 1 failed"; exit 1; }
sections=${SECTIONS:-"A B C D E F G H I J K L"}
ids=$(awk -v want=" $sections " '
  /^### 1\.[A-Z] / { sec = substr($2, 3, 1); next }
  /^### / { sec = "" }
  sec != "" && index(want, " " sec " ") && match($0, /^- \*\*[A-Z]+[0-9]+[a-z]?\./) {
    id = substr($0, RSTART + 4, RLENGTH - 5); print id
  }' "$sem")
# A file without rule IDs (a wrong argument, a reformatted SEMANTICS.md) must
# not pass as "nothing missing".
if [ -z "$ids" ]; then
  echo "rule_coverage: no rule IDs (\"- **X1.\" under \"### 1.X\") found in $sem"
  echo "rules: 0 passed, 1 failed"; exit 1
fi
files=$(cd "$root" && find tests/scenarios tests/unit -type f \( -name '*.lua' -o -name '*.c' \) 2>/dev/null)
pass=0; fail=0; missing=""
for id in $ids; do
  if (cd "$root" && printf '%s\n' $files | grep -qE "(^|[^A-Za-z0-9])${id}([^A-Za-z0-9]|$)") ||
     (cd "$root" && grep -lqwE "$id" $files 2>/dev/null); then
    pass=$((pass + 1))
  else
    fail=$((fail + 1)); missing="$missing $id"
  fi
done
[ -n "$missing" ] && echo "rules with no test:$missing"
echo "rules: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
