# check_lib.sh - what the shell tests of the CLI share (sourced, not run):
#   root       the source tree (the working directory after sourcing)
#   tmp        a scratch directory, removed on exit
#   check NAME STATUS   count a check: ok when STATUS is 0, else FAIL with the
#                       head of $tmp/out (the output the check looked at)
#   check_done LABEL    print "LABEL: N passed, M failed"; the exit status
#                       is 1 if any check failed
# The caller sets apcsim from its first argument before sourcing.
set -u
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
check() {
  if [ "$2" = 0 ]; then
    pass=$((pass + 1)); echo "ok   $1"
  else
    fail=$((fail + 1)); echo "FAIL $1"
    [ -f "$tmp/out" ] && sed 's/^/     | /' "$tmp/out" | head -30
  fi
}
check_done() {
  echo "$1: $pass passed, $fail failed"
  [ "$fail" -eq 0 ]
}
