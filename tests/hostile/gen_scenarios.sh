#!/usr/bin/env bash
# gen_scenarios.sh OUTDIR - writes the hostile scenario FILES that cannot
# carry header comments (binary, empty, not a file ...) into OUTDIR, each with
# a sidecar NAME.expect holding the same header lines the .lua cases use:
#   -- category: sandbox|api
#   -- expect-exit: N[|N...]
#   -- expect-stderr: TEXT        (repeatable; must appear in stderr)
#   -- forbid-stderr: TEXT        (repeatable; must not appear)
#   -- timeout: SECONDS
# The runner runs them from OUTDIR, so messages name them without a path.
set -u
out=${1:?usage: gen_scenarios.sh OUTDIR}
mkdir -p "$out"
cd "$out" || exit 1

expect() {  # NAME then header lines
  local name=$1; shift
  printf '%s\n' "$@" > "$name.expect"
}

# Precompiled Lua (a binary chunk) given as the scenario: scripts load as text only.
printf '\033Lua\124\000\031\223\r\n\032\n\004\010\010xV\000\000\000\000\000\000\000\000\000\000\000(w@' > bytecode_scenario.lua
expect bytecode_scenario.lua "-- category: sandbox" "-- expect-exit: 3" \
  "-- expect-stderr: attempt to load a binary chunk" "-- expect-stderr: scenario error: bytecode_scenario.lua"

# A zero-byte scenario (the most half-written scenario there is).
: > empty_scenario.lua
expect empty_scenario.lua "-- category: api" "-- expect-exit: 0|3" "-- timeout: 3"

# A scenario cut off in the middle of a call (editor crash, partial download).
printf 'machine { cpus = 1 }\nthread { name = "T", body = function()\n  compute(ms(1)\n' > truncated_scenario.lua
expect truncated_scenario.lua "-- category: api" "-- expect-exit: 3" \
  "-- expect-stderr: scenario error: truncated_scenario.lua:4: ')' expected"

# A NUL byte in the middle of the text.
printf 'machine { cpus = 1 }\000thread { name = "T", body = function() end }\n' > nul_in_scenario.lua
expect nul_in_scenario.lua "-- category: api" "-- expect-exit: 3" \
  "-- expect-stderr: scenario error: nul_in_scenario.lua:1:"

# Saved by a Windows editor: UTF-8 BOM and CRLF line ends. Valid; must run.
printf '\357\273\277machine { cpus = 1 }\r\nthread { name = "T", body = function() compute(us(5)) end }\r\n' > bom_crlf_scenario.lua
expect bom_crlf_scenario.lua "-- category: api" "-- expect-exit: 0"

# Copied from a blog with a shebang line. Valid; must run.
printf '#!/usr/bin/env apcsim\nmachine { cpus = 1 }\nthread { name = "T", body = function() end }\n' > shebang_scenario.lua
expect shebang_scenario.lua "-- category: api" "-- expect-exit: 0"

# Invalid UTF-8 / binary junk as a scenario ("downloaded" an HTML error page as gzip).
printf '\037\213\010\000\000\000\000\000\000\003\253\254\377\376junk\n' > binary_junk_scenario.lua
expect binary_junk_scenario.lua "-- category: api" "-- expect-exit: 3" \
  "-- expect-stderr: scenario error: binary_junk_scenario.lua:1:"

# A directory where the scenario file should be, and a missing one.
mkdir -p directory_scenario.lua
expect directory_scenario.lua "-- category: api" "-- expect-exit: 2|3" \
  "-- expect-stderr: directory_scenario.lua"
expect missing_scenario.lua "-- category: api" "-- expect-exit: 2|3" \
  "-- expect-stderr: missing_scenario.lua: no such scenario file"
exit 0
