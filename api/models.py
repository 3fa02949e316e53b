"""Head-office API tokens. The table was created by the `pharmacy_portal` app and keeps its name."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organisation


def hash_api_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(models.Model):
    """A head-office system's key to the API for one organisation.

    Shown once when created; only its sha256 is stored. It acts for the admin who created
    it, and only within its organisation.
    """

    PREFIX = "pdp_"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    # The first characters, shown in lists so people can tell tokens apart.
    token_prefix = models.CharField(max_length=12)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        db_table = "pharmacy_portal_apitoken"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="api_token_expires_after_creation",
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.organisation})"

    @classmethod
    def new_token(cls):
        return cls.PREFIX + secrets.token_urlsafe(32)

    @property
    def is_usable(self):
        return self.revoked_at is None and self.expires_at > timezone.now()
