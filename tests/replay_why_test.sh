#!/usr/bin/env bash
# apcsim replay: the "why:" line under each queued KAPC names the rule that
# holds it back, on real traces of the scenarios for people (the sentences
# themselves are unit-tested in tests/unit/test_why.c).
# Closing line: "replay-why: N passed, M failed".
apcsim=${1:?usage: replay_why_test.sh path/to/apcsim}
. "$(dirname "$0")/check_lib.sh"
# expect NAME SCENARIO TIME TEXT: `replay --at TIME` of SCENARIO's trace has a why line with TEXT
expect() {
  local name=$1 sc=$2 at=$3 text=$4 db="$tmp/$(basename "$2" .lua).db"
  [ -f "$db" ] || "$apcsim" run "$sc" --db "$db" -q >/dev/null 2>&1
  "$apcsim" replay "$db" --at "$at" 2>&1 | grep "why: " >"$tmp/out"
  grep -qF -- "$text" "$tmp/out"; check "$name" $?
}
expect "R4 D3: the normal kernel APC waits for the critical region to end" \
  scenarios/critical_region_defers_normal_apc.lua 200us "critical region (KernelApcDisable -1" 
expect "I6 E4: an APC for the home environment is parked while attached" \
  scenarios/stacked_attach_parked_apcs.lua 60us "parked: its environment is the home process and the thread is attached to db.exe"
expect "E3: after a second stacked attach the first attachment's process is current" \
  scenarios/stacked_attach_parked_apcs.lua 100us "attached to log.exe"
expect "W2 AL5: a user APC for a thread that never waits alertably" \
  scenarios/termination_deferred_by_critical_region.lua 100us "user APCs run only after the thread makes an alertable user-mode wait"
expect "D4 D5: the exit APC's user phase set UserApcPending" \
  scenarios/termination_deferred_by_critical_region.lua 320us "UserApcPending is set"
expect "I5 D4: the second user APC is behind the first" \
  scenarios/termination_deferred_by_critical_region.lua 320us "behind 1 earlier user APC in this FIFO list"
expect "D6: while a user APC's routine runs, NtContinue picks up the next one" \
  scenarios/alertable_sleep_user_apc.lua 500us "its NtContinue tests for alerts"
check_done replay-why
