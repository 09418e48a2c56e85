#!/usr/bin/env bash
# run_bench.sh BUILD_DIR - the figures of `make bench` (see bench/README.md).
#
# Needs an optimised build in BUILD_DIR (BUILD_DIR/apcsim and its objects
# BUILD_DIR/src/*/*.o, as `make` leaves them). Builds the helpers into
# BUILD_DIR/bench/, runs the storm and its limits, prints one line per figure
#     bench: NAME value unit
# then one `target:` line per target (met / missed, with the numbers), and
# writes the same lines to results/bench.txt. Traces and scratch files go to
# BUILD_DIR/bench/ and are removed at the end (BENCH_KEEP=1 keeps them).
#
# Every step has a wall-clock cap (BENCH_STEP_LIMIT seconds, default 150; the
# 100,000-thread runs BENCH_BIG_LIMIT, default 240): a step that passes it is
# reported as n/a, so the whole run stays bounded. Commands apcsim does not
# have yet (replay, plot) are reported as n/a too.
#
# The parameters are variables below; any of them can be overridden from
# the environment (e.g. BENCH_APCS=20000 bench/run_bench.sh build).

set -u
export LC_ALL=C

if [ $# -ne 1 ]; then
    echo "usage: $0 BUILD_DIR" >&2
    exit 2
fi
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
BUILD=$1
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
APCSIM=$BUILD/apcsim
W=$BUILD/bench
STORM=bench/storm.lua
OUT=results/bench.txt

# ---- parameters ------------------------------------------------------------
CPUS=${BENCH_CPUS:-2}                   # the storm (figures 1-3, 6)
THREADS=${BENCH_THREADS:-1000}
APCS=${BENCH_APCS:-50000}
PERIOD=${BENCH_DPC_PERIOD:-5us}
BURST=${BENCH_BURST:-3}
SEED=${BENCH_SEED:-1}
CRIT=${BENCH_CRIT_FRAC:-0.1}
ATTACH=${BENCH_ATTACH_FRAC:-0.1}
SCALE_APCS=${BENCH_SCALE_APCS:-20000}   # the scale runs (figure 4), T = 1,000 and 100,000
SCALE_BIG=${BENCH_SCALE_BIG:-100000}
SCALE_SMALL=${BENCH_SCALE_SMALL:-1000}
SCALE_CPUS_HI=${BENCH_SCALE_CPUS_HI:-64}
SCALE_HI_EVENTS=${BENCH_SCALE_HI_EVENTS:-1000000}   # engine-event cap of the 64-CPU scale runs
REPLAY_PERIOD=${BENCH_REPLAY_PERIOD:-100us}   # the 10-million-transition trace (figure 5)
REPLAY_BURST=${BENCH_REPLAY_BURST:-1}
REPLAY_APCS=${BENCH_REPLAY_APCS:-48000}
STEP_LIMIT=${BENCH_STEP_LIMIT:-150}
BIG_LIMIT=${BENCH_BIG_LIMIT:-240}

storm_params() {   # storm_params FLAG CPUS THREADS APCS PERIOD BURST: the storm's parameters
    local f=$1
    printf '%s\n' "$f" "cpus=$2" "$f" "threads=$3" "$f" "apcs=$4" "$f" "dpc_period=$5" "$f" "burst=$6" \
        "$f" "seed=$SEED" "$f" "crit_frac=$CRIT" "$f" "attach_frac=$ATTACH"
}

# ---- output ------------------------------------------------------------------
LINES=()
TARGETS=()
emit() { echo "$*"; LINES+=("$*"); }
note() { echo "  ($*)" >&2; }
target() {   # target NAME met|missed|n/a TEXT
    TARGETS+=("target: $1 $2 ($3)")
}
# Floating point helpers (awk): calc EXPR, and cmp A OP B -> exit status.
calc() { awk "BEGIN { printf \"%.6g\", $1 }"; }
fmt() { awk -v v="$1" -v d="${2:-3}" 'BEGIN { printf "%.*f", d, v }'; }
int() { awk -v v="$1" 'BEGIN { printf "%.0f", v }'; }
ok() { awk "BEGIN { exit !($1) }"; }
isnum() { [[ $1 =~ ^[0-9.eE+-]+$ ]]; }
now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.6f", b - a }'; }

# run_timed LIMIT LOG CMD... : run with a cap; sets T_WALL (seconds) and T_RC.
run_timed() {
    local limit=$1 log=$2
    shift 2
    local t0
    t0=$(now)
    timeout --signal=INT --kill-after=10 "$limit" "$@" >"$log" 2>&1
    T_RC=$?
    T_WALL=$(since "$t0")
}

# best_timed LIMIT LOG CMD... : as run_timed, but a run under 2 s is repeated
# (up to 3 runs in all) and the best time kept.
best_timed() {
    local limit=$1 log=$2 best rc
    shift 2
    run_timed "$limit" "$log" "$@"
    best=$T_WALL rc=$T_RC
    for _ in 1 2; do
        [ "$rc" -eq 0 ] && ok "$best < 2" || break
        run_timed "$limit" "$log.again" "$@"
        [ "$T_RC" -eq 0 ] || { rc=$T_RC; break; }
        ok "$T_WALL < $best" && best=$T_WALL
    done
    T_WALL=$best T_RC=$rc
}

why_failed() {   # why_failed RC LIMIT LOG
    if [ "$1" -eq 124 ] || [ "$1" -eq 130 ] || [ "$1" -eq 137 ]; then
        echo "over the ${2} s cap"
    else
        echo "exit $1: $(tail -n 2 "$3" | tr '\n' ' ' | cut -c1-160)"
    fi
}

# has_command NAME: apcsim NAME exists (its --help works and says how to use it).
has_command() {
    local out
    out=$("$APCSIM" "$1" --help 2>&1) || return 1
    echo "$out" | grep -qi "not available" && return 1
    echo "$out" | grep -qi "usage" || return 1
    return 0
}

# probe_field LINE NAME: the value of NAME=... in a storm_probe line.
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1; }

BENCH_T0=$(now)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)

# ---- build -------------------------------------------------------------------
if [ ! -x "$APCSIM" ]; then
    echo "run_bench.sh: $APCSIM not found: build it first (make BUILD=...)" >&2
    exit 2
fi
mkdir -p "$W" results || exit 2
CFLAGS_B="-O2 -g -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE"
GLIBDEF="-DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_74 -DGLIB_VERSION_MAX_ALLOWED=GLIB_VERSION_2_74"
echo "run_bench.sh: building the helpers in $W" >&2
${CC:-cc} $CFLAGS_B $(pkg-config --cflags sqlite3) -o "$W/sqlite_limit" bench/sqlite_limit.c \
    $(pkg-config --libs sqlite3) || exit 2
${CC:-cc} $CFLAGS_B -Isrc $GLIBDEF $(pkg-config --cflags glib-2.0) -o "$W/queue_limit" bench/queue_limit.c \
    src/sim/sim.c $(pkg-config --libs glib-2.0) || exit 2
LIBOBJ=$(ls "$BUILD"/src/sim/*.o "$BUILD"/src/ke/*.o "$BUILD"/src/trace/*.o "$BUILD"/src/lua/*.o 2>/dev/null)
if [ -z "$LIBOBJ" ]; then
    echo "run_bench.sh: no objects in $BUILD/src: build with make first" >&2
    exit 2
fi
# shellcheck disable=SC2086
${CC:-cc} $CFLAGS_B -Isrc $GLIBDEF $(pkg-config --cflags glib-2.0 lua5.4 sqlite3) -o "$W/storm_probe" \
    bench/storm_probe.c $LIBOBJ $(pkg-config --libs glib-2.0 lua5.4 sqlite3) -lm || exit 2

# The store's batch size and pragmas, which sqlite_limit copies.
BATCH=$(sed -n 's/^#define TRACE__BATCH_ROWS \([0-9]*\).*/\1/p' src/trace/trace_int.h)
BATCH=${BATCH:-10000}
for p in "journal_mode = MEMORY" "synchronous = OFF" "locking_mode = EXCLUSIVE" "cache_size = -16384"; do
    grep -q "PRAGMA $p" src/trace/store.c ||
        echo "run_bench.sh: warning: src/trace/store.c no longer sets PRAGMA $p; bench/sqlite_limit.c does" >&2
done
grep -q "SQLITE_OPEN_NOMUTEX" src/trace/store.c ||
    echo "run_bench.sh: warning: src/trace/store.c no longer opens with SQLITE_OPEN_NOMUTEX; bench/sqlite_limit.c does" >&2
grep -q "SQLITE_CONFIG_MEMSTATUS, 0" src/main.c ||
    echo "run_bench.sh: warning: src/main.c no longer turns SQLITE_CONFIG_MEMSTATUS off; bench/sqlite_limit.c does" >&2

echo "run_bench.sh: storm C=$CPUS T=$THREADS N=$APCS dpc_period=$PERIOD burst=$BURST seed=$SEED" \
     "crit=$CRIT attach=$ATTACH" >&2
mapfile -t RUNP < <(storm_params --param "$CPUS" "$THREADS" "$APCS" "$PERIOD" "$BURST")
mapfile -t PROBEP < <(storm_params "" "$CPUS" "$THREADS" "$APCS" "$PERIOD" "$BURST" | grep -v '^$')

# ---- 1. the storm, traced and untraced ------------------------------------------
ROWS=""
EVENTS=""
TRACED_TPS=n/a
rm -f "$W/storm.db"
run_timed "$STEP_LIMIT" "$W/traced.log" "$APCSIM" run "$STORM" --db "$W/storm.db" -q --max-events 0 \
    --memory-limit 4096 "${RUNP[@]}"
if [ "$T_RC" -eq 0 ] && [ -f "$W/storm.db" ]; then
    TRACED_WALL=$T_WALL
    ROWS=$(sqlite3 "$W/storm.db" "select value from meta where key = 'events'")
    EVENTS=$(sqlite3 "$W/storm.db" "select e.b from event e join kind k on k.id = e.kind where k.name = 'RUN_END'")
    MARK_KIND=$(sqlite3 "$W/storm.db" "select id from kind where name = 'MARK'")
    DELIVERED=$(sqlite3 "$W/storm.db" "select label from v_mark where label like 'storm:%'" |
                sed -n 's/.*delivered=\([0-9]*\).*/\1/p')
    COMPLETE=$(sqlite3 "$W/storm.db" "select value from meta where key = 'complete'")
    [ "$COMPLETE" = 1 ] || note "warning: the storm trace is not marked complete"
    [ "$DELIVERED" = "$APCS" ] || note "warning: the storm delivered ${DELIVERED:-?} APCs, not $APCS"
    TRACED_TPS=$(int "$(calc "$ROWS / $TRACED_WALL")")
    note "traced storm: $ROWS transitions, $EVENTS engine events, $(fmt "$TRACED_WALL") s"
else
    note "traced storm failed: $(why_failed "$T_RC" "$STEP_LIMIT" "$W/traced.log")"
fi
emit "bench: storm_traced_tps $TRACED_TPS transitions/s"

UNTRACED_TPS=n/a
UNTRACED_WALL=""
best_timed "$STEP_LIMIT" "$W/untraced.log" "$APCSIM" run "$STORM" --no-trace --max-events 0 \
    --memory-limit 4096 "${RUNP[@]}"
if [ "$T_RC" -eq 0 ]; then
    UNTRACED_WALL=$T_WALL
    U_EVENTS=$(sed -n 's/^run ended at .*(\([0-9]*\) events)$/\1/p' "$W/untraced.log" | head -n 1)
    if [ -n "$EVENTS" ] && [ "$U_EVENTS" != "$EVENTS" ]; then
        note "warning: untraced run had $U_EVENTS engine events, traced $EVENTS: not deterministic?"
    fi
    [ -z "$EVENTS" ] && EVENTS=$U_EVENTS
    if [ -n "$ROWS" ]; then
        UNTRACED_TPS=$(int "$(calc "$ROWS / $UNTRACED_WALL")")
    fi
    note "untraced storm: $(fmt "$UNTRACED_WALL") s"
else
    note "untraced storm failed: $(why_failed "$T_RC" "$STEP_LIMIT" "$W/untraced.log")"
fi
emit "bench: storm_untraced_tps $UNTRACED_TPS transitions/s"

# ---- 2. the SQLite limit ----------------------------------------------------------
SQLITE_RPS=n/a
RATIO_SQL=n/a
if [ -n "$ROWS" ]; then
    run_timed "$STEP_LIMIT" "$W/sqlite_limit.log" "$W/sqlite_limit" "$W/limit.db" "$ROWS" --from "$W/storm.db" \
        --batch "$BATCH" --mark-kind "${MARK_KIND:-0}"
    if [ "$T_RC" -eq 0 ]; then
        SQLITE_RPS=$(int "$(field "$(cat "$W/sqlite_limit.log")" rows_per_s)")
        RATIO_SQL=$(fmt "$(calc "$TRACED_TPS / $SQLITE_RPS")")
    else
        note "sqlite_limit failed: $(why_failed "$T_RC" "$STEP_LIMIT" "$W/sqlite_limit.log")"
    fi
fi
emit "bench: sqlite_limit_rps $SQLITE_RPS rows/s"
emit "bench: ratio_traced_over_sqlite $RATIO_SQL"
# What writing the trace adds to a run, per row (traced - untraced wall time),
# next to what a row costs the minimal loop.
STORE_NS=n/a SQL_NS=n/a
[ -n "$ROWS" ] && [ -n "$UNTRACED_WALL" ] && STORE_NS=$(fmt "$(calc "($TRACED_WALL - $UNTRACED_WALL) * 1e9 / $ROWS")" 0)
isnum "$SQLITE_RPS" && SQL_NS=$(fmt "$(calc "1e9 / $SQLITE_RPS")" 0)
emit "bench: store_ns_per_row $STORE_NS ns"
emit "bench: sqlite_limit_ns_per_row $SQL_NS ns"

# ---- 3. the queue limit -------------------------------------------------------------
QUEUE_NS=n/a
RATIO_Q=n/a
EVENT_NS=""
run_timed "$STEP_LIMIT" "$W/queue_probe.log" "$W/storm_probe" "$STORM" lua --queue "${PROBEP[@]}"
QLINE=$(grep '^probe ' "$W/queue_probe.log")
QSIZE=$(field "$QLINE" queue_mean)
if [ "$T_RC" -eq 0 ] && isnum "${QSIZE:-x}"; then
    QSIZE=$(int "$QSIZE")
    [ "$QSIZE" -lt 1 ] && QSIZE=1
    note "storm engine queue: mean $QSIZE, max $(field "$QLINE" queue_max) pending events"
    run_timed "$STEP_LIMIT" "$W/queue_limit.log" "$W/queue_limit" "$QSIZE" 10000000 3
    if [ "$T_RC" -eq 0 ]; then
        QUEUE_NS=$(fmt "$(field "$(cat "$W/queue_limit.log")" ns_per_op)" 1)
        if [ -n "$UNTRACED_WALL" ] && [ -n "$EVENTS" ]; then
            EVENT_NS=$(calc "$UNTRACED_WALL * 1e9 / $EVENTS")
            RATIO_Q=$(fmt "$(calc "$EVENT_NS / $QUEUE_NS")" 1)
            note "untraced storm: $(fmt "$EVENT_NS" 0) ns per engine event, $(fmt "$(calc "$UNTRACED_WALL * 1e9 / $ROWS")" 0) ns per transition"
        fi
    else
        note "queue_limit failed: $(why_failed "$T_RC" "$STEP_LIMIT" "$W/queue_limit.log")"
    fi
else
    note "queue probe failed: $(why_failed "$T_RC" "$STEP_LIMIT" "$W/queue_probe.log")"
fi
emit "bench: queue_hold_ns $QUEUE_NS ns"
emit "bench: ratio_event_cost_over_queue $RATIO_Q"

# ---- 4. scale ---------------------------------------------------------------------------
# scale_run T C LIMIT [MAX_EVENTS]: untraced storm_probe run; sets S_TPS, S_HWM (KiB), S_LINE.
scale_run() {
    local t=$1 c=$2 limit=$3 cap=${4:-0}
    local -a p
    mapfile -t p < <(storm_params "" "$c" "$t" "$SCALE_APCS" "$PERIOD" "$BURST" | grep -v '^$')
    run_timed "$limit" "$W/scale_${t}_${c}.log" "$W/storm_probe" "$STORM" lua --max-events "$cap" "${p[@]}"
    S_LINE=$(grep '^probe ' "$W/scale_${t}_${c}.log")
    S_TPS=n/a S_HWM=""
    if [ "$T_RC" -eq 0 ] && [ -n "$S_LINE" ]; then
        S_TPS=$(int "$(calc "$(field "$S_LINE" rows) / $(field "$S_LINE" wall_s)")")
        S_HWM=$(field "$S_LINE" hwm_kb)
        local capped=""
        [ "$(field "$S_LINE" stop)" = 4 ] && capped=", stopped at the --max-events cap"
        note "scale T=$t C=$c: $(field "$S_LINE" rows) transitions, $(field "$S_LINE" events) engine events" \
             "in $(fmt "$(field "$S_LINE" wall_s)") s, simulated $(field "$S_LINE" end_ns) ns, peak RSS $S_HWM KiB$capped"
    else
        note "scale T=$t C=$c failed: $(why_failed "$T_RC" "$limit" "$W/scale_${t}_${c}.log")"
    fi
}
declare -A STPS SHWM
# T = 1,000 and 100,000 on C CPUs: full runs. On 64 CPUs the storm keeps
# 100,000 threads busy for a simulated second (~100 million transitions), so
# both 64-CPU runs stop after SCALE_HI_EVENTS engine events (a throughput
# sample; the 1,000-thread run ends before it).
for run in "$SCALE_SMALL $CPUS $STEP_LIMIT 0" "$SCALE_BIG $CPUS $BIG_LIMIT 0" \
           "$SCALE_SMALL $SCALE_CPUS_HI $STEP_LIMIT $SCALE_HI_EVENTS" \
           "$SCALE_BIG $SCALE_CPUS_HI $BIG_LIMIT $SCALE_HI_EVENTS"; do
    set -- $run
    scale_run "$1" "$2" "$3" "$4"
    STPS[$1,$2]=$S_TPS SHWM[$1,$2]=$S_HWM
done
ratio_of() { if isnum "$1" && isnum "$2"; then fmt "$(calc "$1 / $2")"; else echo n/a; fi; }
RATIO_SCALE=$(ratio_of "${STPS[$SCALE_BIG,$CPUS]}" "${STPS[$SCALE_SMALL,$CPUS]}")
RSS_THREAD=n/a
RSS_GROSS=n/a
if [ -n "${SHWM[$SCALE_BIG,$CPUS]}" ] && [ -n "${SHWM[$SCALE_SMALL,$CPUS]}" ]; then
    RSS_THREAD=$(int "$(calc "(${SHWM[$SCALE_BIG,$CPUS]} - ${SHWM[$SCALE_SMALL,$CPUS]}) * 1024 / ($SCALE_BIG - $SCALE_SMALL)")")
    RSS_GROSS=$(int "$(calc "${SHWM[$SCALE_BIG,$CPUS]} * 1024 / $SCALE_BIG")")
fi
emit "bench: ratio_scale_100k_over_1k $RATIO_SCALE"
emit "bench: rss_per_thread_bytes $RSS_THREAD bytes"
# The details: the four runs, the same ratio on 64 CPUs, 64 over 2 CPUs, and
# the peak RSS divided by the threads (fixed costs and the N APCs included).
for c in "$CPUS" "$SCALE_CPUS_HI"; do
    for t in "$SCALE_SMALL" "$SCALE_BIG"; do
        emit "bench: scale_tps_T${t}_C${c} ${STPS[$t,$c]} transitions/s"
    done
done
emit "bench: ratio_scale_100k_over_1k_C${SCALE_CPUS_HI} $(ratio_of "${STPS[$SCALE_BIG,$SCALE_CPUS_HI]}" "${STPS[$SCALE_SMALL,$SCALE_CPUS_HI]}")"
emit "bench: ratio_cpus_${SCALE_CPUS_HI}_over_${CPUS}_T${SCALE_SMALL} $(ratio_of "${STPS[$SCALE_SMALL,$SCALE_CPUS_HI]}" "${STPS[$SCALE_SMALL,$CPUS]}")"
emit "bench: ratio_cpus_${SCALE_CPUS_HI}_over_${CPUS}_T${SCALE_BIG} $(ratio_of "${STPS[$SCALE_BIG,$SCALE_CPUS_HI]}" "${STPS[$SCALE_BIG,$CPUS]}")"
emit "bench: rss_per_thread_gross_bytes $RSS_GROSS bytes"

# ---- 5. replay and plot of a 10-million-transition trace -------------------------------
REPLAY_START=n/a REPLAY_END=n/a PLOT=n/a
R_WHY_S="" R_WHY_E="" P_WHY=""
HAVE_REPLAY=0 HAVE_PLOT=0
has_command replay && HAVE_REPLAY=1
has_command plot && HAVE_PLOT=1
R_ROWS=""
if [ $HAVE_REPLAY = 1 ] || [ $HAVE_PLOT = 1 ]; then
    mapfile -t RP < <(storm_params --param "$CPUS" "$THREADS" "$REPLAY_APCS" "$REPLAY_PERIOD" "$REPLAY_BURST")
    rm -f "$W/replay.db"
    run_timed "$BIG_LIMIT" "$W/replay_trace.log" "$APCSIM" run "$STORM" --db "$W/replay.db" -q --max-events 0 \
        --memory-limit 4096 "${RP[@]}"
    if [ "$T_RC" -eq 0 ] && [ -f "$W/replay.db" ]; then
        R_ROWS=$(sqlite3 "$W/replay.db" "select value from meta where key = 'events'")
        R_END=$(sqlite3 "$W/replay.db" "select value from meta where key = 'end_time_ns'")
        note "replay trace: $R_ROWS transitions, ends at $R_END ns, written in $(fmt "$T_WALL") s"
    else
        R_WHY_S="the 10M-transition trace could not be made: $(why_failed "$T_RC" "$BIG_LIMIT" "$W/replay_trace.log")"
        R_WHY_E=$R_WHY_S P_WHY=$R_WHY_S
    fi
fi
if [ $HAVE_REPLAY = 0 ]; then
    R_WHY_S="apcsim replay not available" R_WHY_E=$R_WHY_S
elif [ -n "$R_ROWS" ]; then
    # near the start: 1% into the run; near the end: 99%. In microseconds.
    AT_S=$(int "$(calc "$R_END / 1000 * 0.01")")
    AT_E=$(int "$(calc "$R_END / 1000 * 0.99")")
    best_timed "$STEP_LIMIT" "$W/replay_start.log" "$APCSIM" replay "$W/replay.db" --at "${AT_S}us"
    if [ "$T_RC" -eq 0 ]; then REPLAY_START=$(fmt "$T_WALL"); else
        R_WHY_S="replay --at ${AT_S}us: $(why_failed "$T_RC" "$STEP_LIMIT" "$W/replay_start.log")"; fi
    best_timed "$STEP_LIMIT" "$W/replay_end.log" "$APCSIM" replay "$W/replay.db" --at "${AT_E}us"
    if [ "$T_RC" -eq 0 ]; then REPLAY_END=$(fmt "$T_WALL"); else
        R_WHY_E="replay --at ${AT_E}us: $(why_failed "$T_RC" "$STEP_LIMIT" "$W/replay_end.log")"; fi
fi
if [ $HAVE_PLOT = 0 ]; then
    P_WHY="apcsim plot not available"
elif [ -n "$R_ROWS" ]; then
    run_timed "$STEP_LIMIT" "$W/plot.log" "$APCSIM" plot "$W/replay.db" -o "$W/replay.png"
    if [ "$T_RC" -eq 0 ]; then PLOT=$(fmt "$T_WALL"); else
        P_WHY="plot: $(why_failed "$T_RC" "$STEP_LIMIT" "$W/plot.log")"; fi
fi
emit "bench: replay_start_s $REPLAY_START s${R_WHY_S:+ ($R_WHY_S)}"
emit "bench: replay_end_s $REPLAY_END s${R_WHY_E:+ ($R_WHY_E)}"
emit "bench: plot_10m_s $PLOT s${P_WHY:+ ($P_WHY)}"
[ -n "$R_ROWS" ] && emit "bench: replay_trace_transitions $R_ROWS transitions"

# ---- 6. the peer: SimPy ------------------------------------------------------------------
RATIO_SIMPY=n/a
SIMPY_WHY=""
PY=""
for p in /usr/bin/python3 python3; do
    if "$p" -c "import simpy" 2>/dev/null; then PY=$p; break; fi
done
if [ -z "$PY" ]; then
    SIMPY_WHY="SimPy not installed: apt-get install python3-simpy3"
elif [ -z "$UNTRACED_WALL" ]; then
    SIMPY_WHY="no untraced storm figure"
else
    ns_of() { awk -v s="$1" 'BEGIN { v = s + 0; u = s; sub(/^[0-9.]+/, "", u);
        m = u == "us" ? 1e3 : u == "ms" ? 1e6 : u == "s" ? 1e9 : 1; printf "%.0f", v * m }'; }
    best_timed "$STEP_LIMIT" "$W/simpy.log" "$PY" bench/simpy_storm.py --cpus "$CPUS" --threads "$THREADS" \
        --apcs "$APCS" --dpc-period-ns "$(ns_of "$PERIOD")" --burst "$BURST" --seed "$SEED" \
        --crit-frac "$CRIT" --attach-frac "$ATTACH"
    SLINE=$(grep '^simpy_storm ' "$W/simpy.log")
    if [ "$T_RC" -eq 0 ] && [ -n "$SLINE" ]; then
        SIMPY_APS=$(field "$SLINE" apcs_per_s)
        APCSIM_APS=$(calc "$APCS / $UNTRACED_WALL")
        RATIO_SIMPY=$(fmt "$(calc "$APCSIM_APS / $SIMPY_APS")" 3)
        note "SimPy: $(field "$SLINE" delivered) APCs in $(fmt "$(field "$SLINE" wall_s)") s ($(int "$SIMPY_APS") APCs/s," \
             "simulated end $(field "$SLINE" sim_end_ns) ns); apcsim untraced: $(int "$APCSIM_APS") APCs/s"
    else
        SIMPY_WHY="simpy_storm.py: $(why_failed "$T_RC" "$STEP_LIMIT" "$W/simpy.log")"
    fi
fi
emit "bench: ratio_untraced_over_simpy $RATIO_SIMPY${SIMPY_WHY:+ ($SIMPY_WHY)}"

# ---- targets --------------------------------------------------------------------------------
chk() {   # chk NAME VALUE OP LIMIT TEXT
    local name=$1 v=$2 op=$3 lim=$4 text=$5 by
    if ! isnum "$v"; then
        target "$name" n/a "$text: no figure"
    elif ok "$v $op $lim"; then
        target "$name" met "$text: $v $op $lim"
    else
        if [ "$op" = ">=" ]; then by="$(fmt "$(calc "100 * $v / $lim")" 1)% of the target"
        else by="$(fmt "$(calc "$v / $lim")" 2)x the limit"; fi
        target "$name" missed "$text: $v, needs $op $lim; $by"
    fi
}
chk traced_vs_sqlite "$RATIO_SQL" ">=" 0.5 "traced storm / SQLite limit"
chk traced_tps "$TRACED_TPS" ">=" 1000000 "traced storm transitions/s"
chk untraced_tps "$UNTRACED_TPS" ">=" 5000000 "untraced storm transitions/s"
chk event_cost "$RATIO_Q" "<=" 10 "untraced cost per engine event / queue pop+push"
chk scale_100k "$RATIO_SCALE" ">=" 0.5 "100,000 threads / 1,000 threads throughput"
chk rss_per_thread "$RSS_THREAD" "<=" 4096 "resident bytes per thread at 100,000 threads"
chk replay_end "$REPLAY_END" "<=" 0.5 "replay --at the end, s"
if isnum "$REPLAY_END" && isnum "$REPLAY_START"; then
    chk replay_end_vs_start "$(fmt "$(calc "$REPLAY_END / $REPLAY_START")" 2)" "<=" 2 "replay end / start"
else
    target replay_end_vs_start n/a "replay end / start: no figure"
fi
chk plot_10m "$PLOT" "<=" 15 "plot of the 10M-transition trace, s"
chk untraced_vs_simpy "$RATIO_SIMPY" ">=" 10 "apcsim untraced APCs/s / SimPy APCs/s"

for t in "${TARGETS[@]}"; do
    echo "$t"
    LINES+=("$t")
done
TOTAL=$(since "$BENCH_T0")
LINES+=("# host: $(nproc) CPUs, load average at start $LOAD0, at end $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)")
echo "${LINES[-1]}"
LINES+=("# bench took $(fmt "$TOTAL" 0) s; storm C=$CPUS T=$THREADS N=$APCS dpc_period=$PERIOD burst=$BURST seed=$SEED crit=$CRIT attach=$ATTACH; scale N=$SCALE_APCS (64 CPUs: first $SCALE_HI_EVENTS engine events); replay trace dpc_period=$REPLAY_PERIOD burst=$REPLAY_BURST N=$REPLAY_APCS")
echo "${LINES[-1]}"
printf '%s\n' "${LINES[@]}" > "$OUT.tmp" && mv "$OUT.tmp" "$OUT"
echo "run_bench.sh: wrote $OUT" >&2

if [ "${BENCH_KEEP:-0}" != 1 ]; then
    rm -f "$W"/*.db "$W"/*.log "$W"/*.log.again "$W"/*.png
fi
exit 0
