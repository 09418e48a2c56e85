#!/usr/bin/env python3
"""Writes docs/README.md, the gallery: each scenario of scenarios/ with its
chart (docs/charts/<name>.svg, drawn by `make charts`) and the story, what
to look for and the rules, taken from the scenario's own header comment."""
import glob
import os

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out = ["# Gallery", "",
       "Every scenario of `scenarios/` with its timeline chart, as drawn by `make charts`",
       "(`apcsim run` then `apcsim plot`). Thread lanes are coloured by state, CPU lanes show the",
       "running thread with DPC and APC routine strips, the IRQL of each CPU is a step line, and",
       "the markers are APC insertions, routine starts and the scenario's `mark()` labels.",
       "The text under each chart is the scenario's own header comment.", ""]
for path in sorted(glob.glob(os.path.join(root, "scenarios", "*.lua"))):
    name = os.path.basename(path)[:-4]
    header = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.startswith("--"):
                break
            text = line[2:].rstrip("\n")
            if text.startswith(" args:") or text.startswith(" expect-"):
                continue
            header.append(text[1:] if text.startswith(" ") else text)
    title = header[0] if header else name
    out += ["## " + title, "", "![%s](charts/%s.svg)" % (name, name), ""]
    body = "\n".join(header[1:]).strip("\n")
    if body:
        out += [body, ""]
    out += ["Run it: `build/apcsim run scenarios/%s.lua --chart %s.svg`" % (name, name), ""]
with open(os.path.join(root, "docs", "README.md"), "w", encoding="utf-8") as f:
    f.write("\n".join(out))
