"""Invitations to a premises or an organisation, by a token stored hashed."""

import hashlib
import secrets

from django.db import models
from django.utils import timezone

from .memberships import Membership
from .organisations import Premises
from .users import User


def hash_invitation_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    """An emailed, single-use link that lets a person join a premises.

    Only the token's hash is stored: a leaked database cannot be used to accept.
    """

    email = models.EmailField()
    full_name = models.CharField(max_length=150)
    premises = models.ForeignKey(Premises, on_delete=models.PROTECT, related_name="invitations")
    job_role = models.CharField(max_length=20, choices=Membership.JobRole.choices)
    is_manager = models.BooleanField(default=False)
    # The membership's dates when they are given (a locum booked for a month): the
    # membership made on acceptance takes them; blank start means the day of acceptance.
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["email", "premises"], name="invitation_email_premises")]

    def __str__(self):
        return f"Invitation for {self.email} to {self.premises}"

    @staticmethod
    def new_token():
        return secrets.token_urlsafe(32)

    @property
    def is_usable(self):
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )
