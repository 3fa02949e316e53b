"""Run every `real_worker` test in a process of its own (see tests/conftest.py).

Used by `make test` after the main run. Exits non-zero if any fails. Without REDIS_URL
the tests skip, as they do in the main run.
"""

import subprocess
import sys

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
    failed = []
    for node_id in node_ids:
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", *extra_args, node_id], check=False
        )
        if result.returncode != 0:
            failed.append(node_id)
    print(f"real-worker tests: {len(node_ids) - len(failed)} passed, {len(failed)} failed")
    for node_id in failed:
        print(f"FAILED {node_id}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
