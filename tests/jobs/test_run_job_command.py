import pytest
from django.core.management import CommandError, ManagementUtility, call_command

from jobs.models import JobRun
from jobs.schedule import BEAT_SCHEDULE

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


def test_a_bad_name_exits_non_zero_without_a_traceback(capsys):
    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", "run_job", "no-such-job"]).execute()
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "There is no periodic job called 'no-such-job'" in err
    assert "Traceback" not in err
