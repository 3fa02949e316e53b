import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from pharmacy_portal.celery import BEAT_SCHEDULE
from pharmacy_portal.jobs.models import JobRun

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def test_without_a_name_it_lists_every_job(capsys):
    call_command("run_job")
    out = capsys.readouterr().out
    for name in BEAT_SCHEDULE:
        assert name in out


def test_a_good_name_runs_the_job_and_records_it(world, capsys):
    call_command("run_job", "standings-daily")
    assert "standings-daily ran in" in capsys.readouterr().out
    run = JobRun.objects.get()
    assert (run.job, run.trigger, run.state) == (
        "standings-daily",
        JobRun.Trigger.COMMAND,
        JobRun.State.SUCCEEDED,
    )
    assert run.result == {"count": 3}


@pytest.mark.parametrize("name", ["standings", "no-such-job", "'; drop table x; --"])
def test_a_bad_name_is_refused_with_the_list_of_jobs(name):
    with pytest.raises(CommandError, match="There is no periodic job called") as raised:
        call_command("run_job", name)
    assert "standings-daily" in str(raised.value)
    assert not JobRun.objects.exists()


def test_a_bad_name_exits_non_zero_without_a_traceback(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"}
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "run_job", "no-such-job"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "There is no periodic job called 'no-such-job'" in result.stderr
    assert "Traceback" not in result.stderr
