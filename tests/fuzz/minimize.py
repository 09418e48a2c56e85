#!/usr/bin/env python3
"""minimize.py APCSIM SCENARIO EXPECTED_EXIT --out MIN.lua - shrink a failing scenario.

Delta debugging (ddmin, hierarchical) over the tagged action lines of a
scenario written by gen_scenario.py: every line ending in "-- A<n>" belongs to
action <n>; deleting action <n> deletes every line from the first to the last
line tagged <n> (a block and all it contains). Untagged lines (the header,
helpers) are always kept.

A candidate "still fails" when apcsim exits with EXPECTED_EXIT and the same
failure signature as the original run:
  exit 5  the invariant message (up to "(broken by"), digits normalized;
  exit 4  the bugcheck name;
  exit 3  the scenario error message without its file:line;
  exit 1  the expectation message without its file:line;
  other   the exit status alone (timeouts: 124, signals: 128+N).
Digits are normalized ("t3" and "t5" match) so that a smaller scenario whose
failure hits another thread of the same kind still counts.

Passes: ddmin level by level over the block tree (outer blocks first), then
one-at-a-time removal of each remaining action, then "unwrapping" each block
(deleting only its first and last lines, keeping its body); repeated until
nothing changes. Results are cached; each run has a timeout.
Exit status: 0 minimized (written to --out), 2 the original does not fail as
expected.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

TAG_RE = re.compile(r"-- A(\d+)\s*$")


def signature(rc, stderr):
    text = stderr
    sig = ""
    if rc == 5:
        m = re.search(r"internal invariant violated[^:]*: (.*)", text)
        if m:
            sig = m.group(1).split(" (broken by")[0]
    elif rc == 4:
        m = re.search(r"^([A-Z][A-Z0-9_]+) \([0-9a-fx]+\)\s*$", text, re.M)
        if m:
            sig = m.group(1)
    elif rc == 3:
        m = re.search(r"apcsim: scenario error: (.*)", text)
        if m:
            sig = re.sub(r"^.*?\.lua:\d+: ", "", m.group(1))
    elif rc == 1:
        # the expectations of generated scenarios carry their action tag and the
        # values they saw: compare them exactly, so that a smaller scenario must
        # fail the very same check the same way
        m = re.search(r"apcsim: expectation failed: (.*)", text)
        if m:
            return "1:" + re.sub(r"^.*?\.lua:\d+: ", "", m.group(1)).strip()
    return "%d:%s" % (rc, re.sub(r"\d+", "#", sig).strip())


class Minimizer:
    def __init__(self, apcsim, lines, expected, timeout, verbose, extra_args):
        self.apcsim = apcsim
        self.lines = lines
        self.expected = expected
        self.timeout = timeout
        self.verbose = verbose
        self.extra = extra_args
        self.cache = {}
        self.runs = 0
        self.tmpdir = tempfile.mkdtemp(prefix="apcsim-min-")
        self.tags = {}                          # tag -> [line indices]
        for i, l in enumerate(lines):
            m = TAG_RE.search(l)
            if m:
                self.tags.setdefault(int(m.group(1)), []).append(i)
        self.span = {t: (ix[0], ix[-1]) for t, ix in self.tags.items()}
        # parent of a tag: the innermost other tag whose span strictly contains it
        order = sorted(self.span, key=lambda t: (self.span[t][0], -self.span[t][1]))
        self.parent = {}
        stack = []
        for t in order:
            a, b = self.span[t]
            while stack and not (self.span[stack[-1]][0] <= a and b <= self.span[stack[-1]][1]):
                stack.pop()
            self.parent[t] = stack[-1] if stack else None
            stack.append(t)
        self.removed = frozenset()
        self.unwrapped = frozenset()
        self.ref = None
        self.keep_odd = 0
        self.deadline = None
        self.out_base = "minimize"

    def render(self, removed, unwrapped):
        dead = [False] * len(self.lines)
        for t in removed:
            a, b = self.span[t]
            for i in range(a, b + 1):
                dead[i] = True
        for t in unwrapped:
            ix = self.tags[t]
            dead[ix[0]] = True
            dead[ix[-1]] = True
        return "".join(l for i, l in enumerate(self.lines) if not dead[i])

    def run(self, text):
        path = os.path.join(self.tmpdir, "candidate.lua")
        with open(path, "w") as f:
            f.write(text)
        self.runs += 1
        try:
            p = subprocess.run([self.apcsim, "run", path, "--no-trace", "-q", "--check-invariants"] + self.extra,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=self.timeout)
            rc, err = p.returncode, p.stderr.decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            rc, err = 124, ""
        if rc < 0:
            rc = 128 - rc
        if (rc == 124 or rc > 128) and rc != self.expected and self.keep_odd < 3:
            # a candidate that hangs or crashes is a finding of its own: keep it
            self.keep_odd += 1
            odd = "%s.odd%d-exit%d.lua" % (self.out_base, self.keep_odd, rc)
            with open(odd, "w") as f:
                f.write(text)
            self.log("candidate ended with exit %d (hang or crash): kept as %s" % (rc, odd))
        return signature(rc, err)

    def fails(self, removed, unwrapped=None):
        unwrapped = self.unwrapped if unwrapped is None else unwrapped
        if self.deadline and time.monotonic() > self.deadline:
            return False                    # out of time: keep what we have
        key = (frozenset(removed), frozenset(unwrapped))
        if key not in self.cache:
            self.cache[key] = self.run(self.render(*key)) == self.ref
        return self.cache[key]

    def alive(self, t, removed):
        while t is not None:
            if t in removed:
                return False
            t = self.parent[t]
        return True

    def ddmin(self, items):
        """Remove as many of items as possible (items: tags, all currently present)."""
        items = list(items)
        n = 2
        while len(items) >= 2:
            size = (len(items) + n - 1) // n
            chunks = [items[i:i + size] for i in range(0, len(items), size)]
            progress = False
            for c in chunks:                      # keep only the chunk: remove the rest
                rest = [t for t in items if t not in c]
                if self.fails(self.removed | set(rest)):
                    self.removed = self.removed | set(rest)
                    items, n, progress = c, 2, True
                    break
            if not progress:
                for c in chunks:                  # remove the chunk
                    if self.fails(self.removed | set(c)):
                        self.removed = self.removed | set(c)
                        items = [t for t in items if t not in c]
                        n, progress = max(n - 1, 2), True
                        break
            if not progress:
                if n >= len(items):
                    break
                n = min(len(items), n * 2)
        if len(items) == 1 and self.fails(self.removed | set(items)):
            self.removed = self.removed | set(items)

    def levels(self):
        depth = {}
        for t in sorted(self.span):
            d, p = 0, self.parent[t]
            while p is not None:
                d, p = d + 1, self.parent[p]
            depth[t] = d
        return depth

    def minimize(self, original_sig):
        self.ref = original_sig
        depth = self.levels()
        maxd = max(depth.values()) if depth else 0
        for rnd in range(4):
            before = (self.removed, self.unwrapped)
            for d in range(maxd + 1):
                items = [t for t in sorted(self.span, key=lambda t: self.span[t][0])
                         if depth[t] == d and self.alive(t, self.removed)]
                if items:
                    self.ddmin(items)
                    self.log("level %d: %d actions left" % (d, self.count_alive()))
            for t in sorted(self.span, key=lambda t: self.span[t][0]):
                if self.alive(t, self.removed) and self.fails(self.removed | {t}):
                    self.removed = self.removed | {t}
            for t in sorted(self.span, key=lambda t: self.span[t][0]):
                if len(self.tags[t]) >= 2 and t not in self.unwrapped and self.alive(t, self.removed):
                    u = self.unwrapped | {t}
                    if self.fails(self.removed, u):
                        self.unwrapped = u
            self.log("round %d: %d actions left, %d runs" % (rnd + 1, self.count_alive(), self.runs))
            if (self.removed, self.unwrapped) == before:
                break
        return self.render(self.removed, self.unwrapped)

    def count_alive(self):
        return sum(1 for t in self.span if self.alive(t, self.removed))

    def log(self, msg):
        if self.verbose:
            print("minimize: " + msg, file=sys.stderr)


def group(sig):
    """The kind of a failure: its signature with every number replaced by #."""
    rc, _, rest = sig.partition(":")
    return rc + ":" + re.sub(r"\d+", "#", rest)


def first_message(stderr):
    m = re.search(r"^(apcsim: .*|[A-Z][A-Z0-9_]+ \([0-9a-fx]+\))\s*$", stderr, re.M)
    return m.group(1)[:300] if m else ""


def classify(results, errdir):
    """For run_fuzz.sh: "seed rc" lines -> "seed TAB rc TAB group TAB first message line"."""
    with open(results) as f:
        rows = [l.split() for l in f if l.strip()]
    for seed, rc in sorted(((int(s), int(r)) for s, r in rows if r != "0")):
        try:
            with open(os.path.join(errdir, "fuzz-%d.err" % seed), errors="replace") as f:
                err = f.read()
        except OSError:
            err = ""
        if rc < 0:
            rc = 128 - rc
        msg = first_message(err).replace(os.path.join(errdir, ""), "")
        print("%d\t%d\t%s\t%s" % (seed, rc, group(signature(rc, err)), msg))


def main(argv=None):
    if argv is None:
        argv = sys.argv[1:]
    if argv and argv[0] == "--classify":
        classify(argv[1], argv[2])
        return 0
    ap = argparse.ArgumentParser(description="Minimize a failing generated scenario (ddmin over tagged actions).")
    ap.add_argument("apcsim")
    ap.add_argument("scenario")
    ap.add_argument("expected_exit", type=int)
    ap.add_argument("--out", required=True)
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds per run (default 30)")
    ap.add_argument("--arg", action="append", default=[], help="extra argument for apcsim run (repeatable)")
    ap.add_argument("--budget", type=float, default=600.0,
                    help="seconds for the whole minimization (default 600); then the smallest found so far is written")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)
    with open(a.scenario) as f:
        lines = f.readlines()
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    mz = Minimizer(os.path.abspath(a.apcsim), lines, a.expected_exit, a.timeout, a.verbose, a.arg)
    try:
        return run_minimizer(mz, a, lines)
    finally:
        shutil.rmtree(mz.tmpdir, ignore_errors=True)


def run_minimizer(mz, a, lines):
    mz.out_base = a.out[:-4] if a.out.endswith(".lua") else a.out
    mz.deadline = time.monotonic() + a.budget if a.budget > 0 else None
    sig = mz.run("".join(lines))
    if not sig.startswith("%d:" % a.expected_exit):
        print("minimize: %s does not exit with %d (got %s)" % (a.scenario, a.expected_exit, sig), file=sys.stderr)
        return 2
    mz.log("signature %s, %d actions" % (sig, len(mz.span)))
    text = mz.minimize(sig)
    with open(a.out, "w") as f:
        f.write("-- minimized by tests/fuzz/minimize.py from %s (exit %d, %s)\n"
                % (os.path.basename(a.scenario), a.expected_exit, sig.split(":", 1)[1] or "same exit status"))
        f.write(text)
    late = mz.deadline and time.monotonic() > mz.deadline
    print("minimize: %d of %d actions left after %d runs%s -> %s"
          % (mz.count_alive(), len(mz.span), mz.runs, " (time budget reached)" if late else "", a.out),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
