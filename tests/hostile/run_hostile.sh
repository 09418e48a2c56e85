#!/usr/bin/env bash
# run_hostile.sh APCSIM - hostile-input tests: scenarios that attack the
# sandbox, scenarios that misuse the API, broken trace files for every
# command that reads traces, junk goldens for regress, and interrupted runs
# and full disks. Each case runs under APCSIM and again under
# build-san/apcsim (ASan + UBSan, leaks on) when that binary exists.
#
#   sandbox/*.lua, api/*.lua    scenario cases; header comments:
#       -- expect-exit: N[|N...]      accepted exit statuses
#       -- expect-stderr: TEXT        must appear in stderr (repeatable)
#       -- forbid-stderr: TEXT        must not appear in stderr (repeatable)
#       -- args: ARGS                 extra arguments for `apcsim run`
#       -- timeout: SECONDS           wall-clock limit (default 8)
#       -- no-invariants              run without APCSIM_CHECK_INVARIANTS=1
#       -- builds: rel                run under these builds only (rel, san)
#   gen_scenarios.sh                  scenario files that cannot carry a header
#                                     (binary, empty, a directory ...), with
#                                     sidecar .expect files
#   traces/broken_traces.sh           broken trace files and their table
#                                     (for dump, replay, plot, export)
#   regress cases                     junk goldens, below (regress_cases)
#   interrupt/*.lua                   SIGINT/SIGTERM and RLIMIT_FSIZE cases, below
#
# Every case also fails on: a sanitizer report, an assertion failure, a GLib
# critical warning, death by a signal, exit 5 (internal invariant), or a
# hang (killed at its time limit). Commands that say "not available in this
# version" are reported as skipped, not passed.
#
# Closing line: "hostile: N passed, M failed" (skipped cases listed before it).
# HOSTILE_FILTER=REGEX runs only the cases whose name matches; HOSTILE_JOBS=N
# sets the parallelism of the scenario cases (default 2).
set -u
apcsim_arg=${1:?usage: run_hostile.sh path/to/apcsim}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
apcsim=$(cd "$(dirname "$apcsim_arg")" && pwd)/$(basename "$apcsim_arg")
[ -x "$apcsim" ] || { echo "run_hostile.sh: $apcsim_arg is not an executable"; exit 2; }
command -v sqlite3 >/dev/null || { echo "run_hostile.sh: sqlite3 is needed"; exit 2; }
filter=${HOSTILE_FILTER:-}
jobs=${HOSTILE_JOBS:-2}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/apcsim-hostile.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# apcsim's own temporary files (regress makes a directory per run) stay in
# $tmp even when a case is killed.
mkdir -p "$tmp/tmpdir"; export TMPDIR=$tmp/tmpdir
results=$tmp/results            # STATUS<TAB>CATEGORY<TAB>BIN<TAB>NAME<TAB>DETAIL
: > "$results"

san=$root/build-san/apcsim
if [ "$apcsim" -ef "$san" ]; then
  bins=("san:$apcsim")                 # APCSIM is the sanitizer build itself
elif [ -x "$san" ]; then
  bins=("rel:$apcsim" "san:$san")
else
  bins=("rel:$apcsim")
  echo "(no build-san/apcsim: sanitizer runs skipped; build it with make SAN=address,undefined build-san/apcsim)"
fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LC_ALL=C

selected() { [ -z "$filter" ] || [[ "$1" =~ $filter ]]; }
ms_now() { date +%s%3N; }

# record STATUS CATEGORY BIN NAME DETAIL [EXCERPT-FILE]
record() {
  local st=$1 cat=$2 bin=$3 name=$4 detail=${5:-} excerpt=${6:-}
  printf '%s\t%s\t%s\t%s\t%s\n' "$st" "$cat" "$bin" "$name" "$detail" >> "$results"
  case $st in
    ok)   printf 'ok   [%s] %s/%s%s\n' "$bin" "$cat" "$name" "${detail:+ ($detail)}" ;;
    skip) printf 'skip [%s] %s/%s: %s\n' "$bin" "$cat" "$name" "$detail" ;;
    *)    printf 'FAIL [%s] %s/%s: %s\n' "$bin" "$cat" "$name" "$detail"
          [ -n "$excerpt" ] && [ -s "$excerpt" ] && head -c 2400 "$excerpt" | head -20 | sed 's/^/     | /' ;;
  esac
  return 0
}

# crash_reasons RC ELAPSED_MS LIMIT_S STDERR-FILE: why this run is a failure
# whatever the case expected (empty if none).
crash_reasons() {
  local rc=$1 el=$2 lim=$3 err=$4 why=""
  if [ "$rc" = 137 ] && [ "$el" -ge $(( lim * 1000 - 200 )) ]; then
    why="HANG: still running after ${lim} s (killed)"
  elif [ "$rc" -ge 128 ] && [ "$rc" != 130 ]; then
    why="killed by signal $(( rc - 128 ))"
  fi
  grep -qE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' "$err" &&
    why="${why:+$why; }sanitizer report: $(grep -m1 -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$err" | sed 's/^==[0-9]*==//' | cut -c1-160)"
  grep -qE "Assertion .* failed|assertion failed|code should not be reached" "$err" &&
    why="${why:+$why; }assertion failure: $(grep -m1 -E "Assertion .* failed|assertion failed|should not be reached" "$err" | cut -c1-160)"
  grep -qE -- '-CRITICAL \*\*|-WARNING \*\*' "$err" &&
    why="${why:+$why; }GLib warning: $(grep -m1 -E -- '-CRITICAL \*\*|-WARNING \*\*' "$err" | cut -c1-160)"
  [ "$rc" = 5 ] && why="${why:+$why; }exit 5: internal invariant violated"
  printf '%s' "$why"
}

exit_ok() {  # RC "A|B|C"
  local IFS='|' e
  for e in $2; do [ "$1" = "$e" ] && return 0; done
  return 1
}

# ======================================================================
# 1 + 2. Scenario cases (run in parallel, printed in order)
# ======================================================================

# header FILE KEY: the values of "-- KEY: value" lines
header() { sed -n "s/^-- $2: *//p" "$1"; }

# run_scenario_case IDX BINTAG BIN CATEGORY DIR REL EXPECTFILE
run_scenario_case() {
  local idx=$1 tag=$2 bin=$3 cat=$4 dir=$5 rel=$6 exp=$7
  local w=$tmp/w/$idx; mkdir -p "$w"
  local want args lim inv=1 rc el why="" t0
  want=$(header "$exp" expect-exit | head -1); want=${want:-0}
  args=$(header "$exp" args | head -1)
  lim=$(header "$exp" timeout | head -1); lim=${lim:-8}
  grep -q '^-- no-invariants' "$exp" && inv=0
  t0=$(ms_now)
  # shellcheck disable=SC2086
  { (cd "$dir" && APCSIM_CHECK_INVARIANTS=$inv timeout -s KILL "$lim" "$bin" run "$rel" --db "$w/t.db" -q $args) \
    > "$w/out" 2> "$w/err" < /dev/null; } 2> /dev/null
  rc=$?
  el=$(( $(ms_now) - t0 ))
  why=$(crash_reasons "$rc" "$el" "$lim" "$w/err")
  case $why in HANG*) : > "$w/hung";; esac
  if [ -z "$why" ] && ! exit_ok "$rc" "$want"; then why="exit $rc, expected $want"; fi
  local needle
  while IFS= read -r needle; do
    [ -z "$needle" ] && continue
    grep -qF -- "$needle" "$w/err" || why="${why:+$why; }stderr lacks: $needle"
  done < <(header "$exp" expect-stderr)
  while IFS= read -r needle; do
    [ -z "$needle" ] && continue
    grep -qF -- "$needle" "$w/err" && why="${why:+$why; }stderr has: $needle"
  done < <(header "$exp" forbid-stderr)
  {
    if [ -z "$why" ]; then
      record ok "$cat" "$tag" "${rel#"$cat"/}"
    else
      record FAIL "$cat" "$tag" "${rel#"$cat"/}" "$why (${el} ms)" "$w/err"
    fi
  } > "$w/report"
  rm -f "$w"/t.db*
}

gen=$tmp/gen
bash "$here/gen_scenarios.sh" "$gen" >/dev/null 2>&1
cases=()      # "CATEGORY|DIR|REL|EXPECTFILE"
for f in $(cd "$here" && ls sandbox/*.lua api/*.lua | LC_ALL=C sort); do
  selected "$f" && cases+=("${f%%/*}|$here|$f|$here/$f")
done
for e in $(cd "$gen" && ls *.expect | LC_ALL=C sort); do
  n=${e%.expect}; c=$(header "$gen/$e" category | head -1)
  selected "$c/$n" && cases+=("$c|$gen|$n|$gen/$e")
done

section_t0=$(ms_now)
section_done() { echo "   (section took $(( ($(ms_now) - section_t0) / 1000 )) s)"; section_t0=$(ms_now); }
echo "== scenario cases: sandbox and API misuse (${#cases[@]} cases x ${#bins[@]} builds) =="
mkdir -p "$tmp/w"
declare -a order=()
bi=0
for b in "${bins[@]}"; do
  # The release build first; a case that hangs there is not re-run under the
  # sanitizers (it would only hang again), it is listed as skipped.
  ci=0
  for c in "${cases[@]}"; do
    IFS='|' read -r cat dir rel exp <<< "$c"
    ci=$((ci + 1)); idx=$((bi * 1000 + ci)); order+=("$idx")
    only=$(header "$exp" builds | head -1)
    if [ -n "$only" ] && [[ " $only " != *" ${b%%:*} "* ]]; then
      mkdir -p "$tmp/w/$idx"
      record skip "$cat" "${b%%:*}" "${rel#"$cat"/}" "run under the $only build only (too slow here)" > "$tmp/w/$idx/report"
      continue
    fi
    if [ "$bi" -gt 0 ] && [ -e "$tmp/w/$ci/hung" ]; then
      mkdir -p "$tmp/w/$idx"
      record skip "$cat" "${b%%:*}" "${rel#"$cat"/}" "not re-run: it hangs under the ${bins[0]%%:*} build" > "$tmp/w/$idx/report"
      continue
    fi
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
    run_scenario_case "$idx" "${b%%:*}" "${b#*:}" "$cat" "$dir" "$rel" "$exp" &
  done
  wait
  bi=$((bi + 1))
done
for i in "${order[@]}"; do cat "$tmp/w/$i/report"; done
section_done

# ======================================================================
# 3. Broken trace files: dump, replay, plot, export; junk goldens: regress
# ======================================================================
echo "== broken trace files: dump, replay, plot, export =="
bt=$tmp/traces
if ! bash "$here/traces/broken_traces.sh" "$apcsim" "$bt" > "$tmp/trace_table" 2> "$tmp/trace_gen.err"; then
  record FAIL traces gen broken_traces.sh "the generator failed: $(head -2 "$tmp/trace_gen.err")"
fi

# trace_args COMMAND OUT: the arguments after the trace file (output to OUT.*)
trace_args() {
  case $1 in
    plot)   echo "-o $2.png" ;;
    export) echo "--format chrome -o $2.json" ;;
  esac
}

# trace_checks BINTAG BIN: every command on every broken file (one build)
trace_checks() {
  local tag=$1 bin=$2 cmd file want msg what o t0 rc el why nl
  local tout=$tmp/tout-$tag terr=$tmp/terr-$tag
  for cmd in dump replay plot export; do
    # A command not in this build yet is skipped as a whole (once).
    "$bin" "$cmd" "$bt/good.db" > "$tmp/probe-$tag.out" 2>&1 < /dev/null
    if grep -q "not available in this version" "$tmp/probe-$tag.out"; then
      record skip traces "$tag" "$cmd (all $(wc -l < "$tmp/trace_table") broken files)" "apcsim $cmd: not available in this version"
      continue
    fi
    while IFS=$'\t' read -r file want msg what; do
      selected "$cmd/$file" || continue
      o=$tmp/o-$cmd-$tag; rm -f "$o".*
      t0=$(ms_now)
      # shellcheck disable=SC2046
      { (cd "$bt" && timeout -s KILL 8 "$bin" $cmd "$file" $(trace_args "$cmd" "$o")) \
        > "$tout" 2> "$terr" < /dev/null; } 2> /dev/null
      rc=$?
      el=$(( $(ms_now) - t0 ))
      why=$(crash_reasons "$rc" "$el" 8 "$terr")
      [ -z "$why" ] && ! exit_ok "$rc" "$want" && why="exit $rc, expected $want"
      grep -qF -- "$msg" "$terr" || why="${why:+$why; }stderr lacks: $msg"
      nl=$(grep -c . "$terr")
      [ "$nl" -ne 1 ] && why="${why:+$why; }the reason is $nl lines on stderr, not one"
      ls "$o".* >/dev/null 2>&1 && why="${why:+$why; }an output file was written for a refused trace"
      case $what in *GENERATOR:*) why="${why:+$why; }${what#*GENERATOR: }";; esac
      if [ -z "$why" ]; then record ok traces "$tag" "$cmd $file"
      else cat "$tout" >> "$terr"; record FAIL traces "$tag" "$cmd $file" "[$what] $why" "$terr"; fi
    done < "$tmp/trace_table"
  done
}
for b in "${bins[@]}"; do
  trace_checks "${b%%:*}" "${b#*:}" > "$tmp/traces-${b%%:*}.report" &
done
wait
for b in "${bins[@]}"; do cat "$tmp/traces-${b%%:*}.report"; done

section_done
echo "== regress with a golden directory full of junk =="
rg=$tmp/regress; mkdir -p "$rg"
cp "$here/traces/small.lua" "$rg/small.lua"
(cd "$rg" && "$apcsim" regress --update --golden-dir good small.lua > /dev/null 2>&1 < /dev/null)
golden=$rg/good/small.txt
[ -s "$golden" ] || record FAIL traces gen "regress --update" "could not make the golden of small.lua"
printf '\001\002garbage\377\376 not a scenario\n' > "$rg/junk.lua"

# Each case: a setup function run in $rg ($G is the golden directory, empty
# at the start) and a row NAME|EXPECTED-EXIT|MESSAGE|FORBIDDEN-TEXT|SCENARIO.
rs_garbage_golden()           { head -c 3000 /dev/zero | tr '\0' '\252' > "$G/small.txt"; }
rs_empty_golden()             { : > "$G/small.txt"; }
rs_golden_is_a_directory()    { mkdir "$G/small.txt"; }
rs_golden_is_a_sqlite_trace() { cp "$bt/good.db" "$G/small.txt"; }
rs_golden_truncated()         { head -c 1500 "$golden" > "$G/small.txt"; }
rs_golden_crlf()              { sed 's/$/\r/' "$golden" > "$G/small.txt"; }
rs_golden_without_profile()   { grep -v '^# profile' "$golden" > "$G/small.txt"; }
rs_golden_nul_then_junk()     { { cat "$golden"; printf '\000\000 junk after a NUL byte\n'; } > "$G/small.txt"; }
rs_golden_fifo()              { mkfifo "$G/small.txt"; }
rs_golden_dir_is_a_file()     { rmdir "$G" && echo x > "$G"; }
rs_golden_dir_missing()       { rmdir "$G"; }
rs_scenario_is_junk()         { cp "$golden" "$G/junk.txt"; }
rs_golden_without_last_newline() { head -c -1 "$golden" > "$G/small.txt"; }
regress_cases=(
  "garbage_golden|1|FAIL small.lua||small.lua"
  "empty_golden|1|is empty|schema version ?|small.lua"
  "golden_is_a_directory|1|FAIL small.lua||small.lua"
  "golden_is_a_sqlite_trace|1|FAIL small.lua||small.lua"
  "golden_truncated|1|cut short||small.lua"
  "golden_crlf|1|CRLF line ends|schema version 1, this apcsim writes 1|small.lua"
  "golden_without_last_newline|1|does not end with a newline|diverges|small.lua"
  "golden_without_profile|1|recorded under profile||small.lua"
  "golden_nul_then_junk|1|FAIL small.lua||small.lua"
  "golden_fifo|1|FAIL small.lua||small.lua"
  "golden_dir_is_a_file|1|FAIL small.lua||small.lua"
  "golden_dir_missing|1|no golden||small.lua"
  "scenario_is_junk|1|FAIL junk.lua||junk.lua"
)
# regress_checks BINTAG BIN (one build; its own golden directory g-BINTAG)
regress_checks() {
  local tag=$1 bin=$2 c name want msg forbid scn t0 rc el why
  local G=g-$tag rout=$tmp/rout-$tag rerr=$tmp/rerr-$tag
  for c in "${regress_cases[@]}"; do
    IFS='|' read -r name want msg forbid scn <<< "$c"
    selected "regress/$name" || continue
    rm -rf "${rg:?}/$G"; mkdir -p "$rg/$G"
    (cd "$rg" && "rs_$name") 2>/dev/null
    t0=$(ms_now)
    { (cd "$rg" && timeout -s KILL 4 "$bin" regress --golden-dir "$G" "$scn") > "$rout" 2> "$rerr" < /dev/null; } 2> /dev/null
    rc=$?
    el=$(( $(ms_now) - t0 ))
    why=$(crash_reasons "$rc" "$el" 4 "$rerr")
    [ -z "$why" ] && ! exit_ok "$rc" "$want" && why="exit $rc, expected $want"
    grep -qF -- "$msg" "$rout" "$rerr" || why="${why:+$why; }output lacks: $msg"
    [ -n "$forbid" ] && grep -qF -- "$forbid" "$rout" "$rerr" && why="${why:+$why; }unclear reason: \"$forbid\""
    if [ -z "$why" ]; then record ok traces "$tag" "regress $name"
    else cat "$rout" >> "$rerr"; record FAIL traces "$tag" "regress $name" "$why" "$rerr"; fi
    rm -rf "${rg:?}/$G"
  done
}
for b in "${bins[@]}"; do
  regress_checks "${b%%:*}" "${b#*:}" > "$tmp/regress-${b%%:*}.report" &
done
wait
for b in "${bins[@]}"; do cat "$tmp/regress-${b%%:*}.report"; done


# ======================================================================
# 4. Interruptions and full disks
# ======================================================================
section_done
echo "== interruptions (SIGINT, SIGTERM) and full disks (RLIMIT_FSIZE) =="

# check_trace_files DB: the files a stopped run left must not look complete:
# nothing at DB (or complete != 1), no temporary files; prints problems.
check_no_complete_trace() {
  local db=$1 why=""
  if [ -e "$db" ]; then
    local c; c=$(sqlite3 "$db" "select value from meta where key = 'complete'" 2>/dev/null)
    [ "$c" = 1 ] && why="a file that says complete=1 exists at the final path $db"
  fi
  ls "$db".tmp-* >/dev/null 2>&1 && why="${why:+$why; }temporary file left: $(cd "$(dirname "$db")" && ls "$(basename "$db")".tmp-* | head -1)"
  printf '%s' "$why"
}

# signal_case NAME SIGNAL DELAY-S SCENARIO [ARGS...]: start a run, send the
# signal after DELAY, and expect: exit 130 within 1 s, the partial trace
# kept as DB.partial with meta.complete = 0 (SIGNAL_PARTIAL=optional: or no
# file at all), nothing at DB, no temporary file.
signal_case() {
  selected "interrupt/$1" || return 0
  local b
  for b in "${bins[@]}"; do
    signal_case_one "${b%%:*}" "${b#*:}" "$@" > "$tmp/sig-$1-${b%%:*}.report" &
  done
  wait
  for b in "${bins[@]}"; do cat "$tmp/sig-$1-${b%%:*}.report"; done
}
signal_case_one() {  # BINTAG BIN NAME SIGNAL DELAY SCENARIO [ARGS...]
  local tag=$1 bin=$2 name=$3 sig=$4 delay=$5 scn=$6; shift 6
  for _ in once; do
    local d=$tmp/int-$name-$tag; rm -rf "$d"; mkdir -p "$d"
    local db=$d/run.db why="" rc t0 el
    (cd "$here" && exec "$bin" run "$scn" --db "$db" -q "$@") > "$d/out" 2> "$d/err" < /dev/null &
    local pid=$!
    sleep "$delay"
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid"; record FAIL interrupt "$tag" "$name" "the run ended (exit $?) before the signal was sent" "$d/err"; continue
    fi
    t0=$(ms_now)
    kill -"$sig" "$pid"
    local waited=0
    while kill -0 "$pid" 2>/dev/null && [ $waited -lt 30 ]; do sleep 0.1; waited=$((waited + 1)); done
    el=$(( $(ms_now) - t0 ))
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null; { wait "$pid"; } 2>/dev/null
      record FAIL interrupt "$tag" "$name" "still running 3 s after SIG$sig (killed with SIGKILL)" "$d/err"; continue
    fi
    wait "$pid"; rc=$?
    why=$(crash_reasons "$rc" 0 99 "$d/err")
    [ "$rc" != 130 ] && why="${why:+$why; }exit $rc, expected 130"
    [ "$el" -gt 1000 ] && why="${why:+$why; }took $el ms to stop after SIG$sig (limit 1000 ms)"
    if [ -f "$db.partial" ]; then
      local c; c=$(sqlite3 "$db.partial" "select value from meta where key = 'complete'" 2>&1)
      [ "$c" != 0 ] && why="${why:+$why; }$db.partial has meta.complete = '$c', expected 0"
      grep -q "partial trace kept as" "$d/err" || why="${why:+$why; }stderr does not name the partial trace"
    elif [ "${SIGNAL_PARTIAL:-required}" = required ]; then
      why="${why:+$why; }no partial trace kept as run.db.partial"
    fi
    local w2; w2=$(check_no_complete_trace "$db"); [ -n "$w2" ] && why="${why:+$why; }$w2"
    [ -e "$db" ] && why="${why:+$why; }a file exists at the final path"
    if [ -z "$why" ]; then record ok interrupt "$tag" "$name" "stopped in $el ms"
    else record FAIL interrupt "$tag" "$name" "$why" "$d/err"; fi
  done
}

signal_case sigint_long_run INT 0.8 interrupt/long_run.lua
signal_case sigterm_long_run TERM 0.8 interrupt/long_run.lua
# (interrupted before the run started: keeping no file at all is fine too)
SIGNAL_PARTIAL=optional signal_case sigint_during_setup INT 0.15 interrupt/long_setup.lua
signal_case sigint_during_long_lua_loop INT 0.6 interrupt/long_lua_loop.lua --instruction-budget 2000000000
signal_case sigint_during_pcall_loop INT 0.6 interrupt/pcall_loop.lua

# fsize_case NAME KIB SCENARIO [ARGS...]: run under `ulimit -f KIB`; expect a
# clear error, no death by SIGXFSZ, and no file that looks complete.
fsize_case() {
  selected "interrupt/$1" || return 0
  local b
  for b in "${bins[@]}"; do
    fsize_case_one "${b%%:*}" "${b#*:}" "$@" > "$tmp/fs-$1-${b%%:*}.report" &
  done
  wait
  for b in "${bins[@]}"; do cat "$tmp/fs-$1-${b%%:*}.report"; done
}
fsize_case_one() {  # BINTAG BIN NAME KIB SCENARIO [ARGS...]
  local tag=$1 bin=$2 name=$3 kib=$4 scn=$5; shift 5
  for _ in once; do
    local d=$tmp/fs-$name-$tag; rm -rf "$d"; mkdir -p "$d"
    local db=$d/run.db why="" rc t0 el
    t0=$(ms_now)
    { (cd "$here" && ulimit -f "$kib" && exec timeout -s KILL 30 "$bin" run "$scn" --db "$db" -q "$@") \
      > "$d/out" 2> "$d/err" < /dev/null; } 2> /dev/null
    rc=$?
    el=$(( $(ms_now) - t0 ))
    why=$(crash_reasons "$rc" "$el" 30 "$d/err")
    [ "$rc" = 153 ] && why="killed by SIGXFSZ (signal 25): no message, the file size limit ended the process"
    [ -z "$why" ] && ! exit_ok "$rc" "16" && why="exit $rc, expected 16 (the trace could not be written)"
    grep -q "cannot write the trace" "$d/err" || why="${why:+$why; }stderr lacks: cannot write the trace"
    local w2; w2=$(check_no_complete_trace "$db"); [ -n "$w2" ] && why="${why:+$why; }$w2"
    if [ -f "$db.partial" ]; then
      local c; c=$(sqlite3 "$db.partial" "select value from meta where key = 'complete'" 2>&1)
      [ "$c" = 1 ] && why="${why:+$why; }the .partial says complete=1"
    fi
    if [ -z "$why" ]; then record ok interrupt "$tag" "$name" "limit $kib KiB"
    else record FAIL interrupt "$tag" "$name" "[limit $kib KiB] $why" "$d/err"; fi
  done
}

# The full size of the small trace, to put the limit at its last pages.
full=$("$apcsim" run "$here/traces/small.lua" --db "$tmp/size.db" -q >/dev/null 2>&1 && stat -c %s "$tmp/size.db")
rm -f "$tmp/size.db"
fsize_case fsize_at_create 16 traces/small.lua
fsize_case fsize_during_run 2048 interrupt/long_run.lua --max-events 300000
if [ -n "$full" ]; then
  fsize_case fsize_at_finish $(( full / 1024 - 4 )) traces/small.lua
fi

# --db in a directory that does not exist: refused at once, nothing written.
if selected "interrupt/db_in_missing_directory"; then
  for b in "${bins[@]}"; do
    tag=${b%%:*}; bin=${b#*:}
    d=$tmp/nodir-$tag; rm -rf "$d"; mkdir -p "$d"
    { (cd "$here" && timeout -s KILL 8 "$bin" run traces/small.lua --db "$d/no/such/dir/x.db" -q) > "$d/out" 2> "$d/err" < /dev/null; } 2> /dev/null
    rc=$?
    why=$(crash_reasons "$rc" 0 99 "$d/err")
    [ -z "$why" ] && ! exit_ok "$rc" "2|16" && why="exit $rc, expected 2 or 16"
    grep -q "cannot create the trace" "$d/err" || why="${why:+$why; }stderr lacks: cannot create the trace"
    [ "$(grep -c . "$d/err")" -ne 1 ] && why="${why:+$why; }the reason is not one line"
    if [ -z "$why" ]; then record ok interrupt "$tag" "db_in_missing_directory"
    else record FAIL interrupt "$tag" "db_in_missing_directory" "$why" "$d/err"; fi
  done
fi

# --db naming the scenario itself: the scenario must not be replaced.
if selected "interrupt/db_is_the_scenario"; then
  for b in "${bins[@]}"; do
    tag=${b%%:*}; bin=${b#*:}
    d=$tmp/same-$tag; rm -rf "$d"; mkdir -p "$d"
    cp "$here/traces/small.lua" "$d/s.lua"
    { (cd "$d" && timeout -s KILL 8 "$bin" run s.lua --db s.lua -q) > "$d/out" 2> "$d/err" < /dev/null; } 2> /dev/null
    rc=$?
    why=$(crash_reasons "$rc" 0 99 "$d/err")
    cmp -s "$here/traces/small.lua" "$d/s.lua" ||
      why="${why:+$why; }the scenario file was overwritten by the trace ($(head -c 15 "$d/s.lua" | tr -d '\0'))"
    [ "$rc" = 0 ] && why="${why:+$why; }exit 0, expected a refusal (2)"
    if [ -z "$why" ]; then record ok interrupt "$tag" "db_is_the_scenario"
    else record FAIL interrupt "$tag" "db_is_the_scenario" "[run s.lua --db s.lua] $why" "$d/err"; fi
  done
fi

section_done

# ======================================================================
# Summary
# ======================================================================
echo
echo "== per category: runs (a case under each build), held, failed, skipped =="
for cat in sandbox api traces interrupt; do
  awk -F'\t' -v c="$cat" '$2 == c { n++; if ($1 == "ok") ok++; else if ($1 == "skip") sk++; else f++ }
    END { printf "%-10s %4d runs   %4d held  %4d failed  %4d skipped\n", c, n, ok, f, sk }' "$results"
done
echo "== per category: distinct cases (held = passed under every build that ran it) =="
for cat in sandbox api traces interrupt; do
  awk -F'\t' -v c="$cat" '$2 == c { k = $4; seen[k] = 1; if ($1 == "FAIL") bad[k] = 1; if ($1 == "ok") good[k] = 1 }
    END { for (k in seen) { n++; if (k in bad) f++; else if (k in good) ok++; else sk++ }
          printf "%-10s %4d cases  %4d held  %4d failed  %4d skipped\n", c, n, ok, f, sk }' "$results"
done
pass=$(awk -F'\t' '$1 == "ok"' "$results" | wc -l)
fail=$(awk -F'\t' '$1 == "FAIL"' "$results" | wc -l)
skip=$(awk -F'\t' '$1 == "skip"' "$results" | wc -l)
if [ "$skip" -gt 0 ]; then
  echo
  echo "skipped ($skip, not counted as passed):"
  awk -F'\t' '$1 == "skip" { printf "  %s/%s [%s]: %s\n", $2, $4, $3, $5 }' "$results" | LC_ALL=C sort
fi
if [ "$fail" -gt 0 ]; then
  echo
  echo "failed ($fail):"
  awk -F'\t' '$1 == "FAIL" { printf "  %s/%s [%s]\n", $2, $4, $3 }' "$results" | LC_ALL=C sort
fi
echo
echo "hostile: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
