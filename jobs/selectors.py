"""What the jobs page and the portal admin's home page read: each periodic job with its
latest run, next run and health. The one place that decides what a run's state means."""

from __future__ import annotations

import enum
import itertools
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone

from accounts.permissions import Permission, has_permission
from jobs.schedule import BEAT_SCHEDULE

from .models import JobRun
from .services import QUEUED_LIMIT, RUNNING_LIMIT

if TYPE_CHECKING:
    from datetime import datetime

    from celery.schedules import crontab

    from accounts.models import User

# A scheduled run that has not started this long after its time counts as missed.
MISSED_AFTER = timedelta(minutes=15)
SEND_EMAIL_TASK = "accounts.tasks.send_email"


class Health(enum.Enum):
    # value: (label, NHS.UK tag colour, needs an admin's attention)
    OK = ("Ran as scheduled", "green", False)
    RUNNING = ("Running", "blue", False)
    QUEUED = ("Queued", "blue", False)
    NOT_YET_DUE = ("Not run yet", "grey", False)
    FAILED = ("Failed", "red", True)
    MISSED = ("Has not run when it should have", "red", True)

    @property
    def label(self):
        return self.value[0]

    @property
    def tag_class(self):
        return f"nhsuk-tag--{self.value[1]}"

    @property
    def needs_attention(self):
        return self.value[2]


def describe_schedule(schedule: crontab) -> str:
    """'Every day at 06:00', 'Every Monday at 07:45', 'Every 5 minutes' for a crontab;
    Celery's own wording for any other shape."""
    minutes, hours, days = (
        sorted(schedule.minute),
        sorted(schedule.hour),
        sorted(schedule.day_of_week),
    )
    if len(hours) == 24 and len(days) == 7 and len(minutes) > 1:
        step = minutes[1] - minutes[0]
        if all(b - a == step for a, b in itertools.pairwise(minutes)):
            return f"Every {step} minutes"
    if len(hours) == 1 and len(minutes) == 1:
        at = f"{hours[0]:02d}:{minutes[0]:02d}"
        if len(days) == 7:
            return f"Every day at {at}"
        if len(days) == 1:
            day = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
            return f"Every {day[days[0]]} at {at}"
    return str(schedule)


@dataclass
class JobStatus:
    name: str
    title: str
    schedule: str
    counts: str
    latest: JobRun | None  # latest run that started or was queued (not one left unstarted)
    next_run_at: object
    health: Health

    @property
    def count(self):
        return None if self.latest is None else self.latest.result.get("count")

    @property
    def emails_queued(self):
        return None if self.latest is None else self.latest.tasks_queued.get(SEND_EMAIL_TASK, 0)

    @property
    def other_tasks_queued(self):
        if self.latest is None:
            return 0
        return sum(n for task, n in self.latest.tasks_queued.items() if task != SEND_EMAIL_TASK)

    @property
    def can_run_now(self):
        # A run queued or running past its limit is closed when the button is pressed.
        return self.health not in (Health.RUNNING, Health.QUEUED)


def next_run_after(schedule: crontab, moment: datetime) -> datetime:
    """The first time the crontab fires after moment (an aware datetime)."""
    start, delta, _now = schedule.remaining_delta(moment)
    return start + delta


def _jobs_since():
    """When the portal started keeping job runs (the jobs table was created)."""
    applied = (
        MigrationRecorder.Migration.objects.filter(app="jobs", name="0001_initial")
        .values_list("applied", flat=True)
        .first()
    )
    return applied or timezone.now()


def _health(schedule, latest, last_started_at, since, now):
    # A run queued or running past its limit is a worker that is down or was stopped.
    if latest is not None and latest.state == JobRun.State.RUNNING:
        if latest.started_at < now - RUNNING_LIMIT:
            return Health.FAILED
        return Health.RUNNING
    if latest is not None and latest.state == JobRun.State.QUEUED:
        if latest.queued_at < now - QUEUED_LIMIT:
            return Health.MISSED
        return Health.QUEUED
    # The first time it should have run after its last start (or since jobs were kept).
    reference = last_started_at or since
    due_at = next_run_after(schedule, reference)
    if due_at < now - MISSED_AFTER:
        return Health.MISSED
    if latest is None:
        return Health.NOT_YET_DUE
    if latest.state == JobRun.State.FAILED:
        return Health.FAILED
    return Health.OK


def jobs_overview() -> list[JobStatus]:
    """Every periodic job, in BEAT_SCHEDULE's order, with its latest run and health.
    Two queries whatever the number of jobs: each job's latest run with the job's last
    start, and when job runs began to be recorded."""
    now = timezone.now()
    since = _jobs_since()
    runs = JobRun.objects.filter(job__in=list(BEAT_SCHEDULE)).exclude(state=JobRun.State.SKIPPED)
    newest = runs.filter(job=OuterRef("job")).order_by("-queued_at", "-id").values("pk")[:1]
    last_start = (
        runs.filter(job=OuterRef("job"))
        .order_by()
        .values("job")
        .annotate(last=Max("started_at"))
        .values("last")
    )
    latest_of = {
        run.job: run
        for run in runs.filter(pk=Subquery(newest))
        .annotate(last_started_at=Subquery(last_start))
        .select_related("requested_by")
    }
    started_of = {job: run.last_started_at for job, run in latest_of.items()}
    statuses = []
    for name, job in BEAT_SCHEDULE.items():
        latest, last_started_at = latest_of.get(name), started_of.get(name)
        schedule = job["schedule"]
        statuses.append(
            JobStatus(
                name=name,
                title=job.get("title", name),
                schedule=describe_schedule(schedule),
                counts=job.get("counts", "rows"),
                latest=latest,
                next_run_at=next_run_after(schedule, now),
                health=_health(schedule, latest, last_started_at, since, now),
            )
        )
    return statuses


def jobs_for_admin(user: User) -> list[JobStatus] | None:
    """The jobs page's list (jobs_overview), for a user who may manage jobs
    (Permission.MANAGE_JOBS: portal admins); None for anyone else."""
    if not has_permission(user, Permission.MANAGE_JOBS):
        return None
    return jobs_overview()


def jobs_needing_attention(user: User) -> list[JobStatus]:
    """Jobs that failed or missed a run (Health.needs_attention), for a portal admin's
    home page ([] for others)."""
    jobs = jobs_for_admin(user)
    return [] if jobs is None else [job for job in jobs if job.health.needs_attention]
