#!/usr/bin/env bash
# apcsim diff: where two traces part. The same run twice is the same; the
# same scenario under nt52 and win10 parts where SEMANTICS.md's [DIFF] row 2
# says (win10 sets SpecialApcInProgress around a special APC's kernel
# routine, D3); meta rows and RUN_BEGIN are listed, not counted.
# Closing line: "diff: N passed, M failed".
apcsim=${1:?usage: diff_test.sh path/to/apcsim}
. "$(dirname "$0")/check_lib.sh"
sc=scenarios/specials_jump_ahead.lua
"$apcsim" run "$sc" --db "$tmp/a.db" -q >/dev/null 2>&1
"$apcsim" run "$sc" --db "$tmp/a2.db" -q >/dev/null 2>&1
"$apcsim" run "$sc" --db "$tmp/w.db" --profile win10 -q >/dev/null 2>&1
"$apcsim" diff "$tmp/a.db" "$tmp/a2.db" >"$tmp/out" 2>&1; rc=$?
[ $rc = 0 ] && grep -q "^the transitions are the same" "$tmp/out" && ! grep -q "^meta profile" "$tmp/out"
check "the same run twice: exit 0, the same" $?
"$apcsim" diff "$tmp/a.db" "$tmp/w.db" >"$tmp/out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "^meta profile: nt52 | win10\$" "$tmp/out" && grep -q "^RUN_BEGIN: .* nt52 | .* win10\$" "$tmp/out"
check "nt52 vs win10: exit 1; the profile is listed from meta and RUN_BEGIN" $?
grep -q "^    B: > [0-9]* [0-9]* [0-9] driver FIELD SpecialApcInProgress from=0 to=1\$" "$tmp/out" &&
  grep -q "^    A: > [0-9]* [0-9]* [0-9] driver ROUTINE_BEGIN S1 routine=KernelRoutine" "$tmp/out"
check "D3 [DIFF] row 2: they part where win10 sets SpecialApcInProgress before S1's kernel routine" $?
"$apcsim" diff "$tmp/a.db" "$tmp/w.db" --context 0 >"$tmp/out" 2>&1
[ "$(grep -c '^    [AB]:' "$tmp/out")" = 2 ]; check "--context 0 shows the two parting lines only" $?
"$apcsim" diff "$tmp/a.db" "$tmp/none.db" >"$tmp/out" 2>&1; rc=$?
[ $rc = 10 ] && grep -q "does not exist" "$tmp/out"; check "a missing trace: exit 10 with the reason" $?
"$apcsim" diff "$tmp/a.db" >"$tmp/out" 2>&1; rc=$?
[ $rc = 2 ]; check "one file: usage error" $?
# a meta key only one side has is listed whichever side it is on (a bugcheck vs a clean end)
printf 'local bug = param("bug", 0)\nthread { name = "u", body = function()\n  syscall("NtSvc", function() if bug == 1 then KeEnterCriticalRegion() end end)\nend }\n' > "$tmp/mb.lua"
"$apcsim" run "$tmp/mb.lua" --db "$tmp/ok.db" -q >/dev/null 2>&1
"$apcsim" run "$tmp/mb.lua" --db "$tmp/bug.db" --param bug=1 -q >/dev/null 2>&1
"$apcsim" diff "$tmp/ok.db" "$tmp/bug.db" >"$tmp/out" 2>&1
grep -q "^meta bugcheck: (none) | APC_INDEX_MISMATCH\$" "$tmp/out"; check "a meta key only B has: '(none) | value'" $?
"$apcsim" diff "$tmp/bug.db" "$tmp/ok.db" >"$tmp/out" 2>&1
grep -q "^meta bugcheck: APC_INDEX_MISMATCH | (none)\$" "$tmp/out"; check "a meta key only A has: 'value | (none)'" $?
check_done diff
