#!/usr/bin/env bash
# apcsim replay: the "why:" line under each queued KAPC names the rule that
# holds it back, on real traces of the scenarios for people (the sentences
# themselves are unit-tested in tests/unit/test_why.c).
# Closing line: "replay-why: N passed, M failed".
apcsim=${1:?usage: replay_why_test.sh path/to/apcsim}
. "$(dirname "$0")/check_lib.sh"
# why_lines SCENARIO TIME [RUN-ARGS]: the why lines of `replay --at TIME` of SCENARIO's
# trace (run once with RUN-ARGS), into $tmp/out
why_lines() {
  local sc=$1 at=$2 args=${3:-} db
  db="$tmp/$(basename "$sc" .lua)${3:+-${3//[^a-z0-9]/}}.db"
  # shellcheck disable=SC2086
  [ -f "$db" ] || "$apcsim" run "$sc" --db "$db" -q $args >/dev/null 2>&1
  "$apcsim" replay "$db" --at "$at" 2>&1 | grep "why: " >"$tmp/out"
}
# expect NAME SCENARIO TIME TEXT [RUN-ARGS]: a why line has TEXT
expect() {
  why_lines "$2" "$3" "${5:-}"
  grep -qF -- "$4" "$tmp/out"; check "$1" $?
}
# expect_not NAME SCENARIO TIME TEXT [RUN-ARGS]: no why line has TEXT (and there are some)
expect_not() {
  why_lines "$2" "$3" "${5:-}"
  [ -s "$tmp/out" ] && ! grep -qF -- "$4" "$tmp/out"; check "$1" $?
}
expect "R4 D3: the normal kernel APC waits for the critical region to end" \
  scenarios/critical_region_defers_normal_apc.lua 200us "critical region (KernelApcDisable -1" 
expect "I6 E4: an APC for the home environment is parked while attached" \
  scenarios/stacked_attach_parked_apcs.lua 60us "parked: its environment is the home process and the thread is attached to db.exe"
expect "E3: after a second stacked attach the first attachment's process is current" \
  scenarios/stacked_attach_parked_apcs.lua 100us "attached to log.exe"
expect "W2 AL5: a user APC for a thread that never waits alertably" \
  tests/cli/why/user_apc_running.lua 50us "user APCs run only after the thread makes an alertable user-mode wait"
expect "T4 T5: user APCs of a terminating thread are flushed behind the exit APC, never run" \
  scenarios/termination_deferred_by_critical_region.lua 200us "the thread is terminating: its exit APC runs first"
expect "T3 T4: the exit APC re-queued at the head of the user list ends the thread" \
  scenarios/termination_deferred_by_critical_region.lua 320us "the thread's exit APC, re-queued at the head of the user list"
expect_not "T4: no user APC of a terminating thread is said to be delivered" \
  scenarios/termination_deferred_by_critical_region.lua 320us "UserApcPending is set: delivered"
expect "K2 R1: a Ready thread switched out at DISPATCH_LEVEL gets its APC when its IRQL drops, not at the switch" \
  tests/cli/why/ready_apc_level.lua 50us "was switched out at DISPATCH_LEVEL: switching it in requests an APC interrupt"
expect "D6 AL5: inside a user APC with Alerted[UserMode] set, NtContinue consumes the alert" \
  tests/cli/why/user_apc_alerted.lua 40us "consumes the alert instead of arming UserApcPending"
expect "SU2 D6 [DIFF]: after a special user APC, win10's NtContinue does not pick up regular ones" \
  scenarios/profiles_special_user_apc.lua 105us "a special user APC's routine is running: on win10" "--profile win10"
expect "D7 E5: a user APC of the attached environment is never delivered; the detach bugchecks" \
  tests/cli/why/user_apc_attached_env.lua 50us "queued to the attached process's environment"
expect "T5: a system thread's user APC is run down, never delivered" \
  tests/cli/why/system_thread_user_apc.lua 80us "a system thread never returns to user mode"
expect_not "SU2: a regular user APC behind a special one is not said to be behind it in a FIFO" \
  tests/cli/why/win10_regular_behind_special.lua 150us "behind 1 earlier user APC in this FIFO list"
expect "D4 I8 R1: a kernel APC inserted during a user APC's KernelRoutine comes by the APC interrupt" \
  tests/cli/why/nk_during_user_kr.lua 30us "a user APC's KernelRoutine is running at APC_LEVEL (the user phase"
expect "D3: a normal APC's KernelRoutine is followed by its NormalRoutine before the next APC" \
  tests/cli/why/nk_during_nk_kr.lua 30us "its NormalRoutine runs next, then KiDeliverApc's loop takes the head"
expect "D3: each queued kernel APC behind the head says how many come first" \
  scenarios/specials_jump_ahead.lua 300us "3 APCs ahead of this one come first"
expect "S6: a suspended thread's user APC waits for the resume" \
  tests/cli/why/suspended.lua 30us "the thread is suspended: it waits in kernel mode inside the suspend APC's NormalRoutine, so user APCs"
expect "D6: while a user APC's routine runs, NtContinue picks up the next one" \
  scenarios/alertable_sleep_user_apc.lua 500us "its NtContinue tests for alerts"
check_done replay-why
