"""What `make test` skipped and why, in one line at the end of the run.

As a pytest plugin (`-p tests.skip_report`, with PORTAL_SKIP_REPORT naming a JSON file), it
adds the run's skipped tests to that file, counted by what they lacked: Redis, Chromium or
PostgreSQL (by the test's marker or its skip reason), or another reason. Run as a module
(`python -m tests.skip_report FILE`) it prints the line. With PORTAL_REQUIRE_SERVICES=1
(`.ci/run` sets it) a test skipped for want of one of the three fails the run.
"""

import json
import os
import sys
from collections import Counter
from pathlib import Path

# service: (markers of tests that need it, words of skip reasons that name it, what is wrong)
SERVICES = {
    "Redis": (("real_worker",), ("REDIS_URL", "Redis"), "REDIS_URL not set"),
    "Chromium": (("browser",), ("Chromium",), "no Chromium at CHROMIUM_PATH"),
    "PostgreSQL": (("postgres",), ("PostgreSQL",), "DATABASE_URL is not PostgreSQL"),
}


def lacking(keywords, reason):
    """Which service a skipped test lacked, or 'other: <reason>'."""
    for service, (markers, words, _why) in SERVICES.items():
        if any(marker in keywords for marker in markers) or any(w in reason for w in words):
            return service
    return f"other: {reason}"


def _reason(report):
    if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return str(report.longrepr)


def add_counts(path, counts):
    path = Path(path)
    total = Counter(json.loads(path.read_text()) if path.exists() and path.stat().st_size else {})
    total.update(counts)
    path.write_text(json.dumps(dict(total)))


class SkipCounter:
    def __init__(self, path):
        self.path = path
        self.counts = Counter()

    def pytest_runtest_logreport(self, report):
        if report.skipped and not hasattr(report, "wasxfail"):
            self.counts[lacking(report.keywords, _reason(report))] += 1

    def pytest_sessionfinish(self, session):
        if not hasattr(session.config, "workerinput"):  # the controller, not an xdist worker
            add_counts(self.path, self.counts)


def pytest_configure(config):
    path = os.environ.get("PORTAL_SKIP_REPORT")
    if path:
        config.pluginmanager.register(SkipCounter(path), "portal_skip_counter")


def summary(counts):
    """The one line: what was skipped and why."""
    if not counts:
        return "Skipped: nothing. Every test ran, with Redis, Chromium and PostgreSQL."
    parts = []
    for service, (_markers, _words, why) in SERVICES.items():
        if counts.get(service):
            parts.append(f"{counts[service]} needing {service} ({why})")
    for key, n in sorted(counts.items()):
        if key.startswith("other: "):
            parts.append(f"{n} because {key.removeprefix('other: ')}")
    missing = [s for s in SERVICES if counts.get(s)]
    tail = f" `.ci/run` provides {' and '.join(missing)}." if missing else ""
    return f"Skipped {sum(counts.values())} tests: {'; '.join(parts)}.{tail}"


def main(argv):
    path = Path(argv[0])
    counts = json.loads(path.read_text()) if path.exists() and path.stat().st_size else {}
    print(summary(counts))
    if os.environ.get("PORTAL_REQUIRE_SERVICES") == "1":
        missing = [service for service in SERVICES if counts.get(service)]
        if missing:
            print(
                "PORTAL_REQUIRE_SERVICES=1, but tests were skipped for want of "
                + ", ".join(missing)
            )
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
