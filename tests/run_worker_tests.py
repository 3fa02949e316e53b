"""Run every `real_worker` test in a process of its own (see tests/conftest.py).

Used by `make test` after the main run. Exits non-zero if any fails. Without REDIS_URL
the tests skip, as they do in the main run, and are counted as skipped (and added to
PORTAL_SKIP_REPORT when set, for the line `make test` ends with).
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests import skip_report

PYTEST = [sys.executable, "-m", "pytest"]
VERBOSITY_FLAGS = ("-q", "-qq", "-v", "-vv", "--quiet", "--verbose")


def main(extra_args):
    # Collection output is read line by line: a second -q from the caller would turn its
    # one-node-id-a-line listing into per-file counts.
    collect_args = [arg for arg in extra_args if arg not in VERBOSITY_FLAGS]
    collected = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-m",
            "real_worker",
            *collect_args,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    node_ids = [line for line in collected.stdout.splitlines() if "::" in line]
    if not node_ids:
        print(collected.stdout, collected.stderr)
        print("no real-worker tests collected")
        return 1
    failed, skipped = [], []
    overall_report = os.environ.get("PORTAL_SKIP_REPORT")
    for node_id in node_ids:
        with tempfile.TemporaryDirectory() as folder:
            own_report = Path(folder) / "skips.json"
            result = subprocess.run(
                [*PYTEST, "-p", "tests.skip_report", "-q", *extra_args, node_id],
                env={**os.environ, "PORTAL_SKIP_REPORT": str(own_report)},
                check=False,
            )
            skips = json.loads(own_report.read_text()) if own_report.exists() else {}
        if result.returncode != 0:
            failed.append(node_id)
        elif sum(skips.values()):
            skipped.append(node_id)
        if overall_report:
            skip_report.add_counts(overall_report, skips)
    passed = len(node_ids) - len(failed) - len(skipped)
    print(f"real-worker tests: {passed} passed, {len(skipped)} skipped, {len(failed)} failed")
    for node_id in failed:
        print(f"FAILED {node_id}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
