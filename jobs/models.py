"""Runs of the periodic jobs: what each did and when."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class JobRun(models.Model):
    """One run of a periodic job (jobs/schedule.py, BEAT_SCHEDULE), from the
    moment it is queued to its outcome. At most one run of a job is queued or running."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Not started"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        CATCH_UP = "catch_up", "Catch-up at start-up"
        RUN_NOW = "run_now", "Run now"
        COMMAND = "command", "run_job command"

    LIVE_STATES = (State.QUEUED, State.RUNNING)

    job = models.CharField(max_length=100)
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    state = models.CharField(max_length=20, choices=State.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The Celery worker running it (its node name), to tell a run it left unfinished.
    worker = models.CharField(max_length=200, blank=True)
    # What the job reported: {"count": n} with the job's own meaning of n.
    result = models.JSONField(default=dict, blank=True)
    # Tasks it queued, by task name (accounts.tasks.send_email counts the emails).
    tasks_queued = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-queued_at", "-id"]
        indexes = [models.Index(fields=["job", "-queued_at"], name="jobrun_job_latest")]
        constraints = [
            models.UniqueConstraint(
                fields=["job"],
                condition=Q(state__in=["queued", "running"]),
                name="jobrun_one_live_run_per_job",
            )
        ]

    def __str__(self):
        return f"{self.job} ({self.get_state_display()}, {self.queued_at:%Y-%m-%d %H:%M})"
