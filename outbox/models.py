"""The outbox: every task and email the portal queues, written in the transaction of the
change that queues it, and kept until it has run (docs/decisions/0040-outbox.md)."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class Message(models.Model):
    """One task to run once: its Celery task name and keyword arguments, and where it is
    on its way. The relay publishes pending messages; the worker claims one before running
    it, so a message published twice runs once."""

    class State(models.TextChoices):
        # Waiting for the relay: new, or waiting to be tried again after a failure.
        PENDING = "pending", "Waiting to be sent"
        PUBLISHED = "published", "Handed to the broker"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    task = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    # Failed runs so far (a refused or unreachable mail server, say).
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    # Not published before this moment: the backoff after a failed run.
    available_at = models.DateTimeField(default=timezone.now)
    # Its time to live: not started by then, it is marked failed.
    expires_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)
    # A worker running it holds it until then; past it, the run is taken to have died.
    claimed_until = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Why the last run failed, or why the message was given up.
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["state", "available_at"], name="outbox_state_due")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=["pending", "published", "running", "done", "failed"]),
                name="outbox_message_state_known",
            )
        ]

    def __str__(self):
        return f"{self.task} #{self.pk}"
