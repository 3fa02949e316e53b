"""Running the periodic jobs of BEAT_SCHEDULE and recording every run.

Every run, whoever starts it (beat, the catch-up when beat starts, "Run now", the
`run_job` command), goes through `job_run`, which writes one JobRun row: start, finish,
the count the job returns, the tasks it queued (emails among them) or its error. The
database holds the rule that a job has at most one run queued or running.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections import Counter
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from celery.signals import before_task_publish, task_prerun
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.audit import audit_record
from jobs.schedule import BEAT_SCHEDULE
from outbox.services import enqueue
from outbox.signals import message_queued

from .models import JobRun

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

# A queued run no worker has taken in this long is taken to be lost (no worker running,
# or its broker emptied); a running one past the task time limit was stopped by it.
# Queued by name through the outbox: the task calls these services, so they do not import it.
RUN_JOB_TASK = "jobs.tasks.run_job"
QUEUED_LIMIT = timedelta(hours=1)
RUNNING_LIMIT = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)


class UnknownJob(Exception):
    def __init__(self, name):
        self.name = name
        super().__init__(
            f"There is no periodic job called {name!r}. Jobs: {', '.join(BEAT_SCHEDULE)}"
        )


class JobAlreadyLive(Exception):
    def __init__(self, name):
        self.name = name
        super().__init__(f"{name} is already queued or running: it was not started again.")


def job_get(name: str) -> dict[str, Any]:
    """The BEAT_SCHEDULE entry of a job ({"task", "schedule", "title", "counts", and
    "catch_up" for daily jobs}). Raises UnknownJob if there is none by that name."""
    try:
        return BEAT_SCHEDULE[name]
    except (KeyError, TypeError):
        raise UnknownJob(name) from None


def _close_stale_runs(name, now):
    JobRun.objects.filter(
        job=name, state=JobRun.State.RUNNING, started_at__lt=now - RUNNING_LIMIT
    ).update(
        state=JobRun.State.FAILED,
        finished_at=now,
        error="Did not finish within the task time limit: its worker stopped it or was stopped.",
    )
    JobRun.objects.filter(
        job=name, state=JobRun.State.QUEUED, queued_at__lt=now - QUEUED_LIMIT
    ).update(
        state=JobRun.State.FAILED,
        finished_at=now,
        error="No worker took it within an hour: is a Celery worker running?",
    )


def job_queue(*, name: str, actor: User) -> JobRun:
    """Queue a run of a periodic job now ("Run now" on the jobs page) and audit it: the
    queued JobRun, sent to a worker on commit. Runs queued or running past their limits
    (QUEUED_LIMIT, RUNNING_LIMIT) are closed as failed first.

    Raises UnknownJob for a name not in BEAT_SCHEDULE, and JobAlreadyLive when a run of
    the job is already queued or running: a job is never started twice at once.
    """
    job_get(name)
    now = timezone.now()
    try:
        with transaction.atomic():
            _close_stale_runs(name, now)
            run = JobRun.objects.create(
                job=name,
                trigger=JobRun.Trigger.RUN_NOW,
                state=JobRun.State.QUEUED,
                requested_by=actor,
                queued_at=now,
            )
            audit_record(actor=actor, action="job.run_requested", obj=run, changes={"job": name})
            enqueue(RUN_JOB_TASK, name=name, run_id=run.pk)
    except IntegrityError:
        raise JobAlreadyLive(name) from None
    return run


def job_ran_today(name: str) -> bool:
    """Whether a run of the job started (or was queued) today, local time, and did not
    fail."""
    start_of_day = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return JobRun.objects.filter(
        job=name,
        queued_at__gte=start_of_day,
        state__in=[JobRun.State.QUEUED, JobRun.State.RUNNING, JobRun.State.SUCCEEDED],
    ).exists()


def jobs_catch_up() -> list[str]:
    """Queue each daily job (catch_up in BEAT_SCHEDULE) that has not run today. Called when
    beat starts, so a portal started after a job's hour still runs it that day; the worker
    checks again, so two beats starting together run each job once. Returns the names
    of the jobs queued."""
    queued = []
    for name, job in BEAT_SCHEDULE.items():
        if job.get("catch_up") and not job_ran_today(name):
            enqueue(RUN_JOB_TASK, name=name, trigger=JobRun.Trigger.CATCH_UP)
            queued.append(name)
    if queued:
        logger.info("Catching up daily jobs not run today: %s", ", ".join(queued))
    return queued


def job_runs_interrupted_close(*, worker: str) -> int:
    """Mark as failed the runs a worker left running when it stopped; called as that worker
    (same node name) starts again. Returns the number of runs closed."""
    return JobRun.objects.filter(state=JobRun.State.RUNNING, worker=worker).update(
        state=JobRun.State.FAILED,
        finished_at=timezone.now(),
        error="Stopped before finishing: its worker was stopped or restarted.",
    )


_tally = contextvars.ContextVar("job_tally", default=None)


# Tasks queued through the outbox are counted as written (outbox.signals), under their
# own names; the outbox's own tasks that carry them to a worker are not counted again.
OUTBOX_TASKS = {"outbox.tasks.run_message", "outbox.tasks.relay"}


def _count_queued_task(sender=None, **kwargs):
    counts = _tally.get()
    if counts is not None and sender not in OUTBOX_TASKS:
        counts[sender] += 1


before_task_publish.connect(_count_queued_task)
message_queued.connect(_count_queued_task)


@task_prerun.connect
def _count_task_run_in_process(task=None, **kwargs):
    # Where tasks run eagerly (tests), nothing is published: count them as they run.
    counts = _tally.get()
    if (
        counts is not None
        and task is not None
        and task.request.is_eager
        and task.name not in OUTBOX_TASKS
    ):
        counts[task.name] += 1


@contextlib.contextmanager
def _tallying_queued_tasks():
    counts = Counter()
    token = _tally.set(counts)
    try:
        yield counts
    finally:
        _tally.reset(token)


def _count_of(returned):
    if isinstance(returned, bool) or returned is None:
        return {}
    if isinstance(returned, int):
        return {"count": returned}
    if isinstance(returned, list | tuple | set | dict):
        return {"count": len(returned)}
    return {}


def _start(name, trigger, run_id, worker):
    now = timezone.now()
    if run_id is not None:
        taken = JobRun.objects.filter(pk=run_id, state=JobRun.State.QUEUED).update(
            state=JobRun.State.RUNNING, started_at=now, worker=worker
        )
        # Not queued any more: another worker took it, or it was closed as lost.
        return JobRun.objects.get(pk=run_id) if taken else None
    if trigger == JobRun.Trigger.CATCH_UP and job_ran_today(name):
        return None
    try:
        with transaction.atomic():
            _close_stale_runs(name, now)
            return JobRun.objects.create(
                job=name,
                trigger=trigger,
                state=JobRun.State.RUNNING,
                queued_at=now,
                started_at=now,
                worker=worker,
            )
    except IntegrityError:
        JobRun.objects.create(
            job=name,
            trigger=trigger,
            state=JobRun.State.SKIPPED,
            queued_at=now,
            finished_at=now,
            error="A run of this job was already queued or running: it was not started again.",
        )
        return None


def job_run(
    *, name: str, trigger: str, run_id: int | None = None, worker: str = ""
) -> JobRun | None:
    """Run a periodic job in this process and record the run; return the JobRun, or None
    when it was not started (a run of it already queued or running, a catch-up of a job
    that already ran today, or a queued run another worker took).

    The job's task is called in-process; what it queues (emails, per-holder reminders)
    goes to the broker as usual and is counted. A job that raises is recorded as failed
    with its error, and the error is not raised again: the next scheduled run retries.
    trigger is a JobRun.Trigger value; run_id the queued run to take (job_queue's);
    worker the Celery node name. Raises UnknownJob for a name not in BEAT_SCHEDULE.
    """
    job = job_get(name)
    run = _start(name, trigger, run_id, worker)
    if run is None:
        return None
    with _tallying_queued_tasks() as queued:
        try:
            returned = import_string(job["task"])()
        except Exception as exc:
            logger.exception("Periodic job %s failed", name)
            run.state = JobRun.State.FAILED
            run.error = f"{type(exc).__name__}: {exc}"[:2000]
        else:
            run.state = JobRun.State.SUCCEEDED
            run.result = _count_of(returned)
    run.tasks_queued = dict(queued)
    run.finished_at = timezone.now()
    run.save(update_fields=["state", "error", "result", "tasks_queued", "finished_at"])
    return run
