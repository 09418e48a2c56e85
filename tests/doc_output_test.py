#!/usr/bin/env python3
"""doc_output_test.py - the outputs shown in README.md and docs/TUTORIAL.md are
real: every "$ build/apcsim ..." command in a fenced block that starts with
one (or with the README's "$ sh quickstart.sh", whose apcsim command it
runs) is run, in document order, from the project root, with the apcsim
under test, and its output must be the lines shown under it (none shown:
none printed). A line "..." stands for lines left out: the output must then
begin with the lines above it and end with the lines below it. The traces a
command reads (results/NAME.db) are made first from scenarios/NAME.lua.

    python3 tests/doc_output_test.py path/to/apcsim
Closing line: "doc-output: N passed, M failed".
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = ["README.md", "docs/TUTORIAL.md"]


def blocks(path):
    """(line number, command, expected lines) of each '$ build/apcsim' command in a fenced block;
    a block may hold several commands, each followed by its output."""
    out, lines = [], open(os.path.join(ROOT, path), encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        first = lines[i + 1] if i + 1 < len(lines) else ""
        if first == "$ sh quickstart.sh":       # the README's first command: its apcsim part
            first = "$ build/apcsim run scenarios/quickstart.lua --db results/quickstart.db"
        if lines[i].startswith("```") and first.startswith("$ build/apcsim "):
            i += 1
            lines[i] = first
            while i < len(lines) and not lines[i].startswith("```"):
                if lines[i].startswith("$ build/apcsim "):
                    out.append((i + 1, lines[i][2:], []))
                else:
                    out[-1][2].append(lines[i])
                i += 1
        i += 1
    return out


def matches(got, want):
    if "..." in want:
        k = want.index("...")
        head, tail = want[:k], want[k + 1:]
        return got[:len(head)] == head and (not tail or got[-len(tail):] == tail) and len(got) >= len(head) + len(tail)
    return got == want


def main(argv):
    apcsim = os.path.abspath(argv[1])
    passed = failed = 0
    for doc in DOCS:
        for line, cmd, want in blocks(doc):
            for name in re.findall(r"results/(\w+)\.db", cmd):
                if os.path.exists(os.path.join(ROOT, "scenarios", name + ".lua")):
                    subprocess.run([apcsim, "run", f"scenarios/{name}.lua", "--db", f"results/{name}.db", "-q"],
                                   cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            argv_ = cmd.split()
            argv_[0] = apcsim
            r = subprocess.run(argv_, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            got = r.stdout.rstrip("\n").split("\n") if r.stdout.strip() else []
            label = f"{doc}:{line}: {cmd}"
            if matches(got, want):
                passed += 1
                print(f"ok   {label}")
            else:
                failed += 1
                print(f"FAIL {label}: the output differs from the document")
                for g, w in zip(got + [""] * len(want), want + [""] * len(got)):
                    if g != w:
                        print(f"     | shown: {w}\n     | now:   {g}")
                        break
    print(f"doc-output: {passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
