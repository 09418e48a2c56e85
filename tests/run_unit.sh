#!/usr/bin/env bash
# Runs each GTest binary (TAP output) and prints one closing line:
# "unit: N passed, M failed".
set -u
pass=0; fail=0
for bin in "$@"; do
  out=$("$bin" --tap 2>&1); rc=$?
  ok=$(printf '%s\n' "$out" | grep -c '^ok ')
  notok=$(printf '%s\n' "$out" | grep -c '^not ok ')
  pass=$((pass + ok)); fail=$((fail + notok))
  if [ $rc -ne 0 ] || [ "$notok" -ne 0 ]; then
    echo "FAIL $bin (exit $rc)"; printf '%s\n' "$out" | grep -v '^ok ' | tail -40
    [ "$notok" -eq 0 ] && fail=$((fail + 1))
  else
    echo "ok   $bin ($ok tests)"
  fi
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
