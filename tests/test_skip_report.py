"""The line `make test` ends with says what was skipped and why."""

import json
import subprocess
import sys
from pathlib import Path

from tests import skip_report

ROOT = Path(__file__).resolve().parent.parent


def test_skips_are_put_down_to_what_they_lacked():
    assert skip_report.lacking({"real_worker": 1}, "anything") == "Redis"
    assert skip_report.lacking({}, "needs REDIS_URL: a real worker") == "Redis"
    assert skip_report.lacking({"browser": 1}, "no Chromium at /usr/bin/chromium") == "Chromium"
    assert skip_report.lacking({}, "row locking needs PostgreSQL") == "PostgreSQL"
    assert skip_report.lacking({}, "flaky on Tuesdays") == "other: flaky on Tuesdays"


def test_the_summary_names_each_missing_service_and_counts():
    line = skip_report.summary({"Redis": 7, "PostgreSQL": 12, "other: no network": 1})
    assert line == (
        "Skipped 20 tests: 7 needing Redis (REDIS_URL not set); 12 needing PostgreSQL "
        "(DATABASE_URL is not PostgreSQL); 1 because no network. "
        "`.ci/run` provides Redis and PostgreSQL."
    )
    assert skip_report.summary({}).startswith("Skipped: nothing.")


def run_summary(tmp_path, counts, **env):
    report = tmp_path / "skips.json"
    report.write_text(json.dumps(counts))
    return subprocess.run(
        [sys.executable, "-m", "tests.skip_report", str(report)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **env},
        timeout=60,
    )


def test_ci_fails_when_a_service_was_missing(tmp_path):
    relaxed = run_summary(tmp_path, {"Chromium": 3})
    assert relaxed.returncode == 0
    assert "3 needing Chromium" in relaxed.stdout
    strict = run_summary(tmp_path, {"Chromium": 3}, PORTAL_REQUIRE_SERVICES="1")
    assert strict.returncode == 1
    assert "skipped for want of Chromium" in strict.stdout
    assert run_summary(tmp_path, {}, PORTAL_REQUIRE_SERVICES="1").returncode == 0
