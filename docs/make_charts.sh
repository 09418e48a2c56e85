#!/usr/bin/env bash
# make charts: run every scenario of scenarios/ and draw its timeline chart
# into docs/charts/<scenario>.svg (text, reviewed like code) - the gallery
# in docs/README.md and the README's chart are these files.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
apcsim=${1:-build/apcsim}
mkdir -p docs/charts results
for f in scenarios/*.lua; do
  name=$(basename "$f" .lua)
  "$apcsim" run "$f" --db "results/$name.db" -q
  "$apcsim" plot "results/$name.db" -o "docs/charts/$name.svg"
  echo "charts: docs/charts/$name.svg"
done
python3 docs/make_gallery.py
echo "charts: docs/README.md (gallery)"
