"""Running a periodic job records what it did; a job is never started twice at once; the
catch-up runs each daily job once a day; runs left by a stopped worker are closed."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from jobs import selectors, services
from jobs.models import JobRun
from jobs.schedule import BEAT_SCHEDULE
from pharmacy_portal.celery import app
from tests.nhsmail.factories import PersonalAccountFactory

pytestmark = pytest.mark.django_db


def boom():
    raise RuntimeError("the database went away")


def test_a_run_records_its_count_and_the_emails_it_queued(world, monkeypatch):
    # A worker commits as each service returns, queueing its emails while the job runs;
    # inside the test's transaction they would wait for its end, so queue them at once.
    monkeypatch.setattr("outbox.services.transaction.on_commit", lambda queue, **kw: queue())
    long_ago = timezone.localdate() - datetime.timedelta(days=40)
    PersonalAccountFactory(user=world.staff, last_confirmed_on=long_ago)
    run = services.job_run(
        name="nhsmail-confirmation-reminders-daily", trigger=JobRun.Trigger.COMMAND
    )
    assert run.state == JobRun.State.SUCCEEDED
    assert len(mail.outbox) == 1
    assert run.result == {"count": len(mail.outbox)}
    assert run.tasks_queued == {"accounts.tasks.send_email": len(mail.outbox)}
    assert run.started_at <= run.finished_at


def test_a_failing_job_is_recorded_with_its_error_and_not_raised(monkeypatch):
    monkeypatch.setitem(
        BEAT_SCHEDULE,
        "standings-daily",
        {**BEAT_SCHEDULE["standings-daily"], "task": "tests.jobs.test_services.boom"},
    )
    run = services.job_run(name="standings-daily", trigger=JobRun.Trigger.SCHEDULE)
    assert run.state == JobRun.State.FAILED
    assert run.error == "RuntimeError: the database went away"
    [status] = [job for job in selectors.jobs_overview() if job.name == "standings-daily"]
    assert status.health == selectors.Health.FAILED


def test_a_job_already_running_is_not_started_again():
    JobRun.objects.create(
        job="standings-daily",
        trigger=JobRun.Trigger.SCHEDULE,
        state=JobRun.State.RUNNING,
        started_at=timezone.now(),
    )
    assert services.job_run(name="standings-daily", trigger=JobRun.Trigger.SCHEDULE) is None
    skipped = JobRun.objects.get(state=JobRun.State.SKIPPED)
    assert "already queued or running" in skipped.error
    with pytest.raises(services.JobAlreadyLive):
        services.job_queue(name="standings-daily", actor=None)


def test_a_run_stuck_past_the_time_limit_no_longer_blocks_the_job():
    long_ago = timezone.now() - datetime.timedelta(hours=2)
    stuck = JobRun.objects.create(
        job="standings-daily",
        trigger=JobRun.Trigger.SCHEDULE,
        state=JobRun.State.RUNNING,
        queued_at=long_ago,
        started_at=long_ago,
    )
    run = services.job_run(name="standings-daily", trigger=JobRun.Trigger.SCHEDULE)
    assert run.state == JobRun.State.SUCCEEDED
    stuck.refresh_from_db()
    assert stuck.state == JobRun.State.FAILED
    assert "time limit" in stuck.error


def test_runs_a_worker_left_running_are_closed_when_it_starts_again():
    left = JobRun.objects.create(
        job="standings-daily",
        trigger=JobRun.Trigger.SCHEDULE,
        state=JobRun.State.RUNNING,
        started_at=timezone.now(),
        worker="celery@portal-1",
    )
    other = JobRun.objects.create(
        job="eps-low-token-stock-daily",
        trigger=JobRun.Trigger.SCHEDULE,
        state=JobRun.State.RUNNING,
        started_at=timezone.now(),
        worker="celery@portal-2",
    )
    assert services.job_runs_interrupted_close(worker="celery@portal-1") == 1
    left.refresh_from_db()
    other.refresh_from_db()
    assert left.state == JobRun.State.FAILED
    assert other.state == JobRun.State.RUNNING


def test_catch_up_queues_each_daily_job_not_run_today(django_capture_on_commit_callbacks):
    services.job_run(name="standings-daily", trigger=JobRun.Trigger.SCHEDULE)
    with django_capture_on_commit_callbacks(execute=True):
        queued = services.jobs_catch_up()
    daily = {name for name, job in BEAT_SCHEDULE.items() if job.get("catch_up")}
    assert "standings-daily" not in queued
    assert set(queued) == daily - {"standings-daily"}
    # Run eagerly, every caught-up job ran once; a second catch-up (a second beat) runs none.
    assert set(
        JobRun.objects.filter(trigger=JobRun.Trigger.CATCH_UP).values_list("job", flat=True)
    ) == set(queued)
    assert services.jobs_catch_up() == []
    # A catch-up queued before the first ran (two beats at once) is not started again.
    assert services.job_run(name="standings-daily", trigger=JobRun.Trigger.CATCH_UP) is None


def test_catch_up_runs_again_the_next_day():
    services.job_run(name="standings-daily", trigger=JobRun.Trigger.SCHEDULE)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=1)):
        assert not services.job_ran_today("standings-daily")


def test_a_queued_run_is_taken_by_one_worker_only():
    run = JobRun.objects.create(
        job="standings-daily", trigger=JobRun.Trigger.RUN_NOW, state=JobRun.State.QUEUED
    )
    first = services.job_run(name="standings-daily", trigger=JobRun.Trigger.RUN_NOW, run_id=run.pk)
    second = services.job_run(name="standings-daily", trigger=JobRun.Trigger.RUN_NOW, run_id=run.pk)
    assert first.state == JobRun.State.SUCCEEDED
    assert second is None


def test_unknown_job_names_are_refused():
    for name in ["", "nope", None, "standings-daily\n"]:
        with pytest.raises(services.UnknownJob):
            services.job_run(name=name, trigger=JobRun.Trigger.COMMAND)


def test_beat_queues_every_job_through_the_recording_task():
    assert set(app.conf.beat_schedule) == {*BEAT_SCHEDULE, "outbox-relay"}
    assert app.conf.beat_schedule["outbox-relay"]["task"] == "outbox.tasks.relay"
    for name, entry in app.conf.beat_schedule.items():
        if name == "outbox-relay":
            continue
        assert entry["task"] == "jobs.tasks.run_job"
        assert entry["kwargs"] == {"name": name}
        assert entry["schedule"] is BEAT_SCHEDULE[name]["schedule"]


def test_next_run_is_the_scheduled_minute():
    with time_machine.travel(datetime.datetime(2026, 3, 2, 5, 30, tzinfo=datetime.UTC), tick=False):
        jobs = {job.name: job for job in selectors.jobs_overview()}
    assert jobs["standings-daily"].next_run_at == datetime.datetime(
        2026, 3, 2, 6, 0, tzinfo=datetime.UTC
    )
    assert jobs["smartcards-escalations-every-5-minutes"].next_run_at == datetime.datetime(
        2026, 3, 2, 5, 35, tzinfo=datetime.UTC
    )


def test_overview_reads_each_jobs_latest_run_in_a_fixed_number_of_queries(
    django_assert_num_queries,
):
    now = timezone.now()
    for index, name in enumerate(BEAT_SCHEDULE):
        for hours_ago in (3, 2, 1):
            JobRun.objects.create(
                job=name,
                trigger=JobRun.Trigger.SCHEDULE,
                state=JobRun.State.SUCCEEDED,
                queued_at=now - datetime.timedelta(hours=hours_ago, minutes=index),
                started_at=now - datetime.timedelta(hours=hours_ago, minutes=index),
            )
    with django_assert_num_queries(2):
        jobs = {job.name: job for job in selectors.jobs_overview()}
    assert set(jobs) == set(BEAT_SCHEDULE)
    for index, name in enumerate(BEAT_SCHEDULE):
        assert jobs[name].latest.queued_at == now - datetime.timedelta(hours=1, minutes=index)
