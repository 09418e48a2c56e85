#!/usr/bin/env bash
# End-to-end test of `apcsim plot` and `apcsim export` over every scenario.
#
#   tests/plot_test.sh path/to/apcsim
#
# Each scenario (tests/scenarios/**/*.lua, scenarios/*.lua; with the args its
# header asks for, as run_scenarios.sh does) is run into a trace; a scenario
# that leaves no trace (its setup fails) is skipped. Then, per trace:
#   png     apcsim plot -o X.png exits 0; the file has the PNG signature and
#           more than 5 KB
#   svg     apcsim plot -o X.svg exits 0; python3's xml.etree parses it
#   json    apcsim export --format chrome exits 0; python3's json module
#           parses it; one slice per ROUTINE_BEGIN row; in every lane the
#           slices nest (a child lies within its parent); one instant per
#           APC_INSERT, MARK and BUGCHECK row; an IRQL counter per CPU
# and once: the exit statuses of bad files and bad options.
#
# The pixels are never compared (tests/unit/test_plot.c compares the data
# written for gnuplot with goldens). Set JOBS=N to run N scenarios at once
# (default: the number of CPUs). Closing line: "plot: N passed, M failed".
set -u
apcsim=${1:?usage: plot_test.sh path/to/apcsim}
root=$(cd "$(dirname "$0")/.." && pwd)
case $apcsim in /*) ;; *) apcsim=$PWD/$apcsim ;; esac
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}

# The commands must exist in this binary.
for cmd in plot export; do
  out=$("$apcsim" "$cmd" --help 2>&1); rc=$?
  if [ $rc -ne 0 ] || printf '%s' "$out" | grep -qiE 'unknown command|not available'; then
    echo "FAIL $apcsim has no working '$cmd' command (exit $rc): $(printf '%s' "$out" | head -1)"
    echo "     wire cmd_plot/cmd_export into src/main.c first"
    echo "plot: 0 passed, 1 failed"
    exit 1
  fi
done
for tool in gnuplot python3; do
  if ! command -v "$tool" >/dev/null; then
    echo "FAIL $tool is not installed"; echo "plot: 0 passed, 1 failed"; exit 1
  fi
done

cat >"$tmp/check.py" <<'EOF'
import json, sqlite3, sys, xml.etree.ElementTree as ET

def fail(msg):
    print(msg); sys.exit(1)

what, path = sys.argv[1], sys.argv[2]
if what == "svg":
    try:
        root = ET.parse(path).getroot()
    except Exception as e:
        fail("SVG does not parse: %s" % e)
    if not root.tag.endswith("svg"):
        fail("SVG root is %s" % root.tag)
    sys.exit(0)

db = sys.argv[3]
try:
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
except Exception as e:
    fail("JSON does not parse: %s" % e)
con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
def rows(kinds):
    return con.execute("SELECT count(*) FROM event WHERE kind IN (SELECT id FROM kind WHERE name IN (%s))"
                       % ",".join("'%s'" % k for k in kinds)).fetchone()[0]
cpus = int(con.execute("SELECT value FROM meta WHERE key = 'cpus'").fetchone()[0])
events = doc["traceEvents"]
lanes, counters, routines, instants = {}, set(), 0, 0
for i, ev in enumerate(events):
    ph = ev["ph"]
    if ph == "X":
        t0 = round(ev["ts"] * 1000); t1 = t0 + round(ev["dur"] * 1000)
        if t1 < t0: fail("negative duration: %r" % ev)
        lanes.setdefault((ev["pid"], ev["tid"]), []).append((t0, -t1, i, ev["name"]))
        if ev["cat"].startswith("routine"): routines += 1
    elif ph == "C":
        counters.add(ev["name"])
    elif ph == "i":
        instants += 1
    elif ph != "M":
        fail("unexpected ph %r" % ph)
want = rows(["ROUTINE_BEGIN"])
if routines != want: fail("%d routine slices, %d ROUTINE_BEGIN rows" % (routines, want))
want = rows(["APC_INSERT", "MARK", "BUGCHECK"])
if instants != want: fail("%d instants, %d APC_INSERT/MARK/BUGCHECK rows" % (instants, want))
if len(counters) < cpus: fail("%d IRQL counters for %d CPUs" % (len(counters), cpus))
for lane, sl in lanes.items():
    sl.sort()
    stack = []
    for t0, neg_t1, i, name in sl:
        t1 = -neg_t1
        while stack:
            p0, p1, pname = stack[-1]
            if p0 <= t0 and t1 <= p1: break
            if p1 > t0: fail("lane %r: %s [%d, %d] overlaps %s [%d, %d]" % (lane, name, t0, t1, pname, p0, p1))
            stack.pop()
        stack.append((t0, t1, name))
EOF

# One scenario: run, plot twice, export; prints one "ok"/"FAIL" line per check.
one() {
  local f=$1 base dir want args rc
  base=$(printf '%s' "$f" | tr '/' '_' | sed 's/\.lua$//')
  dir=$tmp/$base; mkdir -p "$dir"
  args=$(sed -n 's/^-- args: *//p' "$root/$f" | head -1)
  # shellcheck disable=SC2086
  (cd "$root" && timeout 120 "$apcsim" run "$f" --db "$dir/t.db" -q $args) >/dev/null 2>&1
  if [ ! -f "$dir/t.db" ]; then echo "skip $f (no trace)"; return; fi
  "$apcsim" plot "$dir/t.db" -o "$dir/c.png" >"$dir/png.err" 2>&1; rc=$?
  if [ $rc -ne 0 ]; then echo "FAIL png $f: exit $rc: $(head -1 "$dir/png.err")"
  elif [ "$(head -c 8 "$dir/c.png" | od -An -tx1 | tr -d ' \n')" != 89504e470d0a1a0a ]; then echo "FAIL png $f: no PNG signature"
  elif [ "$(stat -c %s "$dir/c.png")" -le 5120 ]; then echo "FAIL png $f: $(stat -c %s "$dir/c.png") bytes"
  else echo "ok   png $f"; fi
  "$apcsim" plot "$dir/t.db" -o "$dir/c.svg" >"$dir/svg.err" 2>&1; rc=$?
  if [ $rc -ne 0 ]; then echo "FAIL svg $f: exit $rc: $(head -1 "$dir/svg.err")"
  elif ! out=$(python3 "$tmp/check.py" svg "$dir/c.svg" 2>&1); then echo "FAIL svg $f: $out"
  else echo "ok   svg $f"; fi
  "$apcsim" export "$dir/t.db" --format chrome -o "$dir/t.json" >"$dir/json.err" 2>&1; rc=$?
  if [ $rc -ne 0 ]; then echo "FAIL json $f: exit $rc: $(head -1 "$dir/json.err")"
  elif ! out=$(python3 "$tmp/check.py" json "$dir/t.json" "$dir/t.db" 2>&1); then echo "FAIL json $f: $out"
  else echo "ok   json $f"; fi
  rm -rf "$dir"
}
export -f one
export apcsim root tmp

files=$(cd "$root" && { find tests/scenarios -name '*.lua' 2>/dev/null; ls scenarios/*.lua 2>/dev/null; } | LC_ALL=C sort)
printf '%s\n' $files | xargs -P "$jobs" -I{} bash -c 'one "$@"' _ {} >"$tmp/results" 2>&1
LC_ALL=C sort -k3 "$tmp/results" | grep -v '^ok ' || true
pass=$(grep -c '^ok ' "$tmp/results"); fail=$(grep -c '^FAIL' "$tmp/results")
skipped=$(grep -c '^skip' "$tmp/results")
echo "($((pass + fail)) checks over $(printf '%s\n' $files | wc -l) scenarios, $skipped without a trace)"

# Bad files and options: the statuses of store.h and 2 for usage.
expect() {
  local want=$1 what=$2; shift 2
  "$@" >/dev/null 2>"$tmp/err"; local rc=$?
  if [ "$rc" = "$want" ] && [ "$(wc -l <"$tmp/err")" -le 1 ]; then pass=$((pass + 1)); echo "ok   $what"
  else fail=$((fail + 1)); echo "FAIL $what: exit $rc (want $want): $(head -2 "$tmp/err")"; fi
}
(cd "$root" && "$apcsim" run scenarios/quickstart.lua --db "$tmp/q.db" -q) >/dev/null 2>&1
printf 'not a database' >"$tmp/junk.db"
: >"$tmp/empty.db"
expect 10 "plot: a missing trace exits 10" "$apcsim" plot "$tmp/none.db" -o "$tmp/x.png"
expect 11 "plot: a file that is not SQLite exits 11" "$apcsim" plot "$tmp/junk.db" -o "$tmp/x.png"
expect 11 "export: an empty file exits 11" "$apcsim" export "$tmp/empty.db" --format chrome -o "$tmp/x.json"
expect 10 "export: a missing trace exits 10" "$apcsim" export "$tmp/none.db" -o "$tmp/x.json"
expect 2 "plot: no -o exits 2" "$apcsim" plot "$tmp/q.db"
expect 2 "plot: a .pdf output exits 2" "$apcsim" plot "$tmp/q.db" -o "$tmp/x.pdf"
expect 2 "plot: a bad --from exits 2" "$apcsim" plot "$tmp/q.db" -o "$tmp/x.png" --from 3parsecs
expect 2 "plot: an unknown thread exits 2" "$apcsim" plot "$tmp/q.db" -o "$tmp/x.png" --threads nobody
expect 2 "plot: an unknown option exits 2" "$apcsim" plot "$tmp/q.db" -o "$tmp/x.png" --bogus
expect 2 "export: an unknown format exits 2" "$apcsim" export "$tmp/q.db" --format xml -o "$tmp/x.json"
expect 16 "export: an unwritable output exits 16" "$apcsim" export "$tmp/q.db" -o "$tmp/no/such/dir/x.json"
expect 17 "plot: no gnuplot on PATH exits 17" env PATH=/nonexistent "$apcsim" plot "$tmp/q.db" -o "$tmp/x.png"
expect 0 "plot: a window and a thread" "$apcsim" plot "$tmp/q.db" -o "$tmp/w.svg" --from 100us --to 0.6ms --threads worker --title "a 'title' \"quoted\""
expect 0 "plot: --keep-data keeps the data and the script" "$apcsim" plot "$tmp/q.db" -o "$tmp/k.png" --keep-data "$tmp/kept"
if [ -f "$tmp/kept/plot.gp" ] && [ -f "$tmp/kept/states.dat" ] && \
   (cd "$tmp/kept" && gnuplot -e "outfile='$tmp/again.svg'; outfmt='svg'" plot.gp) 2>/dev/null && [ -s "$tmp/again.svg" ]; then
  pass=$((pass + 1)); echo "ok   the kept script draws the chart again"
else
  fail=$((fail + 1)); echo "FAIL the kept script does not draw the chart again"
fi
if [ ! -e "$tmp/x.png" ] && [ -z "$(ls "$tmp" | grep 'x\.png\.tmp')" ]; then
  pass=$((pass + 1)); echo "ok   failed plots leave no image behind"
else
  fail=$((fail + 1)); echo "FAIL a failed plot left $(ls "$tmp" | grep 'x\.png')"
fi
# OUT that is a symlink, a FIFO or a device: written through, never renamed over
mkdir "$tmp/o"; echo old > "$tmp/o/real.json"; ln -s real.json "$tmp/o/link.json"
echo old > "$tmp/o/real.svg"; ln -s real.svg "$tmp/o/link.svg"
"$apcsim" export "$tmp/q.db" -o "$tmp/o/link.json" 2>/dev/null
"$apcsim" plot "$tmp/q.db" -o "$tmp/o/link.svg" 2>/dev/null
if [ -L "$tmp/o/link.json" ] && [ -L "$tmp/o/link.svg" ] && grep -q displayTimeUnit "$tmp/o/real.json" &&
   grep -q '<svg' "$tmp/o/real.svg"; then
  pass=$((pass + 1)); echo "ok   export/plot -o LINK write the link's target and keep the link"
else
  fail=$((fail + 1)); echo "FAIL export/plot -o LINK replaced the link or left the target as it was"
fi
mkfifo "$tmp/o/fifo"
(timeout 20 cat "$tmp/o/fifo" > "$tmp/o/from_fifo") &
reader=$!
"$apcsim" export "$tmp/q.db" -o "$tmp/o/fifo" 2>/dev/null
wait $reader
if [ -p "$tmp/o/fifo" ] && python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/o/from_fifo" 2>/dev/null; then
  pass=$((pass + 1)); echo "ok   export -o FIFO writes into the FIFO (it stays a FIFO)"
else
  fail=$((fail + 1)); echo "FAIL export -o FIFO did not write into the FIFO or replaced it"
fi
if [ -w /dev/full ]; then
  expect 16 "export -o /dev/full: exit 16 (a device is written in place, not replaced)" \
    "$apcsim" export "$tmp/q.db" -o /dev/full
  if [ -c /dev/full ]; then pass=$((pass + 1)); echo "ok   /dev/full is still a device"
  else fail=$((fail + 1)); echo "FAIL /dev/full was replaced"; fi
fi
if "$apcsim" export "$tmp/q.db" -o - | python3 -c 'import json,sys; json.load(sys.stdin)' 2>/dev/null; then
  pass=$((pass + 1)); echo "ok   export -o - writes JSON to standard output"
else
  fail=$((fail + 1)); echo "FAIL export -o - does not write JSON to standard output"
fi

# Progress on a terminal (script(1) gives the plot a TTY; the delay is lowered
# so that a trace of ~75,000 rows shows it): the line names the rows read and
# the drawing, and is cleared at the end; without a terminal nothing is said.
"$apcsim" run bench/storm.lua --db "$tmp/p.db" -q --param apcs=4000 --param threads=100 >/dev/null 2>&1
if command -v script >/dev/null; then
  APCSIM_PROGRESS_DELAY_MS=0 script -qec "$apcsim plot $tmp/p.db -o $tmp/p.png" "$tmp/ts" >/dev/null 2>&1
  tr '\r' '\n' < "$tmp/ts" > "$tmp/ts.lines"
  if grep -q "^  reading the trace: 65535 of [0-9]* rows \.\.\." "$tmp/ts.lines" &&
     grep -q "^  gnuplot is drawing $tmp/p.png \.\.\." "$tmp/ts.lines" && [ -s "$tmp/p.png" ]; then
    pass=$((pass + 1)); echo "ok   plot on a terminal shows its progress"
  else
    fail=$((fail + 1)); echo "FAIL plot on a terminal shows no progress"; sed 's/^/     | /' "$tmp/ts.lines" | head -5
  fi
fi
if APCSIM_PROGRESS_DELAY_MS=0 "$apcsim" plot "$tmp/p.db" -o "$tmp/p2.png" 2>"$tmp/p.err" && [ ! -s "$tmp/p.err" ]; then
  pass=$((pass + 1)); echo "ok   plot without a terminal says nothing on stderr"
else
  fail=$((fail + 1)); echo "FAIL plot without a terminal wrote to stderr: $(head -c 200 "$tmp/p.err")"
fi

echo "plot: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
