#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Sum the TAP results of meson test runs.

Usage: summarize-tap.py BUILDDIR [BUILDDIR...]

Reads BUILDDIR/meson-logs/testlog.json (one JSON object per test run, written
by `meson test`) and counts the TAP results found in each test's stdout:

  ok ...                  passed
  ok ... # SKIP ...       skipped
  not ok ...              failed
  not ok ... # TODO ...   skipped (a known, declared gap: not a pass)
  ok ... # TODO ...       failed (unexpected pass: remove the TODO)
  1..0 # SKIP ...         the whole test counts as 1 skipped

A test also counts as one failure when its TAP has no result, when fewer or
more results than planned were printed, on "Bail out!", or when meson judged
it failed (crash, sanitizer abort, timeout, bad exit status) although every
printed result passed.  A missing testlog.json (build failed, tests not run)
is one failure for that build directory.

Prints per-build, per-suite counts, the failures, and last exactly one line:
"N passed, N failed" or "N passed, N failed, N skipped" (skipped only if > 0).
Exit status 1 if anything failed, or if CLOISON_TESTS_MUST_RUN=1 and anything
was skipped (the skipped tests are listed).
"""

import json
import os
import re
import sys

RESULT_RE = re.compile(r"^(not ok|ok)\b(.*)$")
PLAN_RE = re.compile(r"^1\.\.(\d+)\s*(#.*)?$")
DIRECTIVE_RE = re.compile(r"(?<!\\)#\s*(skip|todo)\S*\s*(.*)$", re.IGNORECASE)
# meson results that mean the test run itself failed
BAD_RESULTS = {"FAIL", "ERROR", "TIMEOUT", "UNEXPECTEDPASS", "INTERRUPT"}


class Counts:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0

    def add(self, other):
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped

    def line(self):
        s = f"{self.passed} passed, {self.failed} failed"
        if self.skipped > 0:
            s += f", {self.skipped} skipped"
        return s


def split_name(name):
    """'project:suite+other / test' -> ('suite', 'test');
    'project / test' -> ('project', 'test')."""
    prefix, sep, test = name.partition(" / ")
    if not sep:
        return "all", name  # one suite only: meson prints bare names
    proj, colon, suites = prefix.partition(":")
    if not colon:
        return proj, test  # meson's default suite is the project's name
    return suites.split("+")[0], test


def analyse(entry):
    """Count one test run's TAP. Returns (Counts, failures, skips):
    failures and skips are lists of human-readable reasons."""
    c = Counts()
    failures = []
    skips = []
    stdout = entry.get("stdout") or ""
    result = str(entry.get("result", "")).upper()
    returncode = entry.get("returncode")

    plan = None
    plan_comment = ""
    bailed = None
    nresults = 0
    for raw in stdout.splitlines():
        line = raw.rstrip("\r")
        m = PLAN_RE.match(line)
        if m and plan is None:
            plan = int(m.group(1))
            plan_comment = (m.group(2) or "").lstrip("#").strip()
            continue
        if line.startswith("Bail out!"):
            bailed = line
            continue
        m = RESULT_RE.match(line)
        if not m:
            continue
        nresults += 1
        okay = m.group(1) == "ok"
        rest = m.group(2).strip()
        d = DIRECTIVE_RE.search(rest)
        directive = d.group(1).lower() if d else None
        if directive == "skip":
            c.skipped += 1
            skips.append(rest)
        elif directive == "todo":
            if okay:
                c.failed += 1
                failures.append(f"ok # TODO (unexpected pass, remove the TODO): {rest}")
            else:
                c.skipped += 1
                skips.append(f"not ok {rest}")
        elif okay:
            c.passed += 1
        else:
            c.failed += 1
            failures.append(f"not ok {rest}")

    if result == "EXPECTEDFAIL":
        # a should_fail test that failed as expected: one pass, its TAP aside
        return _single(passed=1), [], []

    if nresults == 0:
        if plan == 0 and result not in BAD_RESULTS:
            c.skipped += 1
            skips.append(f"whole test skipped: {plan_comment or 'no reason given'}")
        elif returncode == 77 and result == "SKIP":
            c.skipped += 1
            skips.append("whole test skipped (exit status 77)")
        else:
            c.failed += 1
            failures.append(
                f"no TAP result (meson result {result or '?'}, exit status {returncode})"
            )
        return c, failures, skips

    if bailed is not None:
        c.failed += 1
        failures.append(bailed)
    if plan is not None and plan != nresults:
        c.failed += 1
        failures.append(f"planned {plan} results, printed {nresults}")
    elif plan is None:
        c.failed += 1
        failures.append(f"no TAP plan line (printed {nresults} results)")
    if result in BAD_RESULTS and c.failed == 0:
        c.failed += 1
        failures.append(
            f"meson result {result}, exit status {returncode} "
            "(crash, sanitizer report or timeout?) although every TAP result passed"
        )
    return c, failures, skips


def _single(passed=0, failed=0, skipped=0):
    c = Counts()
    c.passed, c.failed, c.skipped = passed, failed, skipped
    return c


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) >= 2 else 2

    total = Counts()
    all_failures = []
    all_skips = []
    for builddir in argv[1:]:
        label = os.path.basename(os.path.normpath(builddir)) or builddir
        log = os.path.join(builddir, "meson-logs", "testlog.json")
        suites = {}
        try:
            with open(log, encoding="utf-8", errors="replace") as f:
                lines = f.readlines()
        except OSError as e:
            total.failed += 1
            all_failures.append(
                f"{label}: no test log ({e.strerror}: {log}); the build failed or tests did not run"
            )
            print(f"{label}: no test log, counted as 1 failure")
            continue
        if not lines:
            total.failed += 1
            all_failures.append(f"{label}: empty test log {log}: no test ran")
        for n, text in enumerate(lines, 1):
            text = text.strip()
            if not text:
                continue
            try:
                entry = json.loads(text)
            except json.JSONDecodeError as e:
                total.failed += 1
                all_failures.append(f"{label}: {log}:{n}: unreadable JSON ({e})")
                continue
            suite, test = split_name(str(entry.get("name", "?")))
            c, failures, skips = analyse(entry)
            suites.setdefault(suite, Counts()).add(c)
            all_failures += [f"{label} / {suite} / {test}: {r}" for r in failures]
            all_skips += [f"{label} / {suite} / {test}: {r}" for r in skips]
        for suite in sorted(suites):
            print(f"{label} / {suite}: {suites[suite].line()}")
            total.add(suites[suite])

    if all_failures:
        print("Failures:")
        for r in all_failures:
            print(f"  {r}")
    must_run = os.environ.get("CLOISON_TESTS_MUST_RUN") == "1"
    if all_skips:
        if must_run:
            print("Skipped, but CLOISON_TESTS_MUST_RUN=1 requires every test to run:")
        else:
            print("Skipped:")
        for r in all_skips:
            print(f"  {r}")

    print(total.line())
    if total.failed > 0 or (must_run and total.skipped > 0):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
