#!/usr/bin/python3
"""Checks on the end-to-end tests themselves (tests/e2e/*.sh), so a test
cannot pass by accident:
  - every run_ss is followed by a check of its exit status ($RC,
    expect_rc) before the next run_ss;
  - no "cmd | jq" / "cmd | cut" of shadowsync's output hides its status
    (lib.sh sets pipefail; a test must not turn it off);
  - no "|| true" after a shadowsync run.
usage: lint_tests.py DIR; prints each finding, exit 1 when there is one."""
import pathlib
import re
import sys

problems = []
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.sh")):
    lines = path.read_text().splitlines()
    pending = None  # line number of a run_ss whose status is unchecked
    for no, line in enumerate(lines, 1):
        code = "" if line.lstrip().startswith("#") else line
        if re.search(r"\bset \+o pipefail\b", code):
            problems.append(f"{path.name}:{no}: turns pipefail off")
        if re.search(r'"\$SS"[^|]*\|\|\s*true', code):
            problems.append(f"{path.name}:{no}: ignores shadowsync's status (|| true)")
        if pending and re.search(r"\bRC\b|expect_rc", code):
            pending = None
        if re.match(r"^\s*run_ss\b", code):
            if pending:
                problems.append(f"{path.name}:{pending}: run_ss without a check of its exit status")
            pending = no
        elif pending and re.match(r"^\s*(done|}|esac)\b", code):
            problems.append(f"{path.name}:{pending}: run_ss without a check of its exit status")
            pending = None
    if pending:
        problems.append(f"{path.name}:{pending}: run_ss without a check of its exit status")
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
