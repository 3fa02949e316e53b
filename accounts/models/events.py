"""What happened: the append-only audit trail, and notifications sent once only."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from .organisations import Organisation, Premises


class AuditEvent(models.Model):
    """Append-only record of every write that matters.

    Services write these explicitly. On PostgreSQL triggers refuse UPDATE and DELETE
    (migration 0002) and TRUNCATE (migration 0008), so not even the application's own
    database user can rewrite history; docs/decisions/0033-database-roles.md describes the
    production roles that keep the portal from switching the triggers off.
    """

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    # Who acted, in words: a person's name, or "system: <job>" for Celery jobs.
    actor_label = models.CharField(max_length=200)
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=250, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    premises = models.ForeignKey(
        Premises,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    changes = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    # The client's address as the portal sees it (see accounts.lockout.client_address).
    client_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "-created_at"]),
            models.Index(fields=["premises", "-created_at"]),
            models.Index(fields=["actor", "-created_at"]),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"


class SentNotification(models.Model):
    """A notification that must go out once only, keyed by what it is about.

    A job claims the key in the same transaction that queues the email (on commit), so a
    job run twice, or killed and retried, never sends it twice.
    """

    key = models.CharField(max_length=200, unique=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.key
