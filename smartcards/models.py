from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Premises, Region

# The renewal window lives in its own module; smartcards.selectors reads the final
# reminder's days from here.
from .renewal import FINAL_REMINDER_DAYS as FINAL_REMINDER_DAYS
from .renewal import CertificateState
from .validators import uk_mobile_for_display


class RegistrationAuthority(models.Model):
    """The Registration Authority (RA) for an ICB area: where new cards, role changes,
    lost or damaged cards and expired certificates go. Portal admins keep it right."""

    region = models.OneToOneField(
        Region, on_delete=models.PROTECT, related_name="registration_authority"
    )
    name = models.CharField(max_length=200)
    main_phone = models.CharField("Main phone number", max_length=20)
    local_phone = models.CharField("Local phone number", max_length=20, blank=True)
    email = models.EmailField("Email address", blank=True)
    notes = models.TextField("Opening hours and notes", max_length=1000, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "registration authority"
        verbose_name_plural = "registration authorities"
        ordering = ["region__name"]

    def __str__(self):
        return f"{self.name} ({self.region})"


class SmartcardHolder(models.Model):
    """A person's NHS smartcard, as far as the portal needs to know it.

    Never a passcode: the portal does not ask for, receive or store one.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="smartcard"
    )
    uuid = models.CharField("UUID", max_length=12, unique=True)
    certificate_expires_on = models.DateField("Certificate expiry date")
    # A valid email on the Care Identity profile makes the holder eligible for
    # self-service unlock.
    has_cim_email = models.BooleanField(
        "Care Identity profile has a valid email address", default=False
    )
    # Given by the holder for text reminders (decisions/0041): a UK mobile in E.164, or empty.
    reminder_mobile = models.CharField(
        "Mobile phone number for text reminders", max_length=13, blank=True, default=""
    )
    # The expiry date each reminder was last sent for: one of each per certificate cycle.
    renewal_reminder_for = models.DateField(null=True, blank=True)
    final_reminder_for = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user__full_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(uuid__regex=r"^[0-9]{12}$"), name="smartcard_uuid_is_12_digits"
            ),
            models.CheckConstraint(
                condition=Q(reminder_mobile="") | Q(reminder_mobile__regex=r"^\+447[0-9]{9}$"),
                name="smartcard_reminder_mobile_is_uk_mobile",
            ),
        ]
        indexes = [models.Index(fields=["certificate_expires_on"], name="smartcard_holder_expiry")]

    def __str__(self):
        return f"{self.user} ({self.uuid})"

    def certificate(self, today=None):
        return CertificateState(self.certificate_expires_on, today)

    @property
    def reminder_mobile_shown(self):
        """The reminder mobile as people write it ("07700 900982"), or ""."""
        return uk_mobile_for_display(self.reminder_mobile)


class SmartcardRequest(models.Model):
    """A holder's request for an unlock or a certificate renewal, worked by one unlocker."""

    class Kind(models.TextChoices):
        UNLOCK = "unlock", "Unlock"
        RENEW = "renew", "Renew certificates"

    class Status(models.TextChoices):
        OPEN = "open", "Waiting"
        CLAIMED = "claimed", "Claimed"
        RESOLVED = "resolved", "Resolved"
        REFERRED = "referred", "Referred to the RA"
        CANCELLED = "cancelled", "Cancelled"
        DECLINED = "declined", "Declined"

    ACTIVE = (Status.OPEN, Status.CLAIMED)
    CLOSED = (Status.RESOLVED, Status.REFERRED, Status.CANCELLED, Status.DECLINED)

    kind = models.CharField(max_length=10, choices=Kind.choices)
    holder = models.ForeignKey(SmartcardHolder, on_delete=models.PROTECT, related_name="requests")
    premises = models.ForeignKey(
        Premises, on_delete=models.PROTECT, related_name="smartcard_requests"
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(default=timezone.now)
    urgent = models.BooleanField("Cannot dispense until resolved", default=False)
    note = models.TextField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    # When it last started waiting for an unlocker: raised, or a claim released.
    waiting_since = models.DateTimeField(default=timezone.now)
    escalated_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    # The unlocker's resolution note, the reason for declining, or the holder's for cancelling.
    closing_note = models.TextField(max_length=500, blank=True)
    identity_checked = models.BooleanField(default=False)

    class Meta:
        ordering = ["-raised_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["unlock", "renew"]), name="smartcard_request_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=["open", "claimed", "resolved", "referred", "cancelled", "declined"]
                ),
                name="smartcard_request_status_known",
            ),
            models.CheckConstraint(
                condition=~Q(status="claimed")
                | (Q(claimed_by__isnull=False) & Q(claimed_at__isnull=False)),
                name="smartcard_claimed_has_claimer",
            ),
            models.CheckConstraint(
                condition=~Q(status="open") | Q(claimed_by__isnull=True),
                name="smartcard_open_has_no_claimer",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "claimed"])
                | (Q(closed_by__isnull=False) & Q(closed_at__isnull=False)),
                name="smartcard_closed_has_closer",
            ),
            models.CheckConstraint(
                condition=~Q(status="resolved") | Q(identity_checked=True),
                name="smartcard_resolved_after_identity_check",
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(closing_note=""),
                name="smartcard_declined_has_reason",
            ),
            # One live request of each kind per card: a second would only split the work.
            models.UniqueConstraint(
                fields=["holder", "kind"],
                condition=Q(status__in=["open", "claimed"]),
                name="one_active_smartcard_request_per_kind",
            ),
        ]
        indexes = [
            # The queue's order, over live requests only.
            models.Index(
                models.F("urgent").desc(),
                "raised_at",
                "id",
                condition=Q(status__in=["open", "claimed"]),
                name="smartcard_request_queue",
            ),
            models.Index(
                fields=["waiting_since"],
                condition=Q(status="open", escalated_at__isnull=True),
                name="smartcard_request_unescalated",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} request for {self.holder.user} #{self.pk}"

    @property
    def is_active(self):
        return self.status in self.ACTIVE

    @property
    def is_unlock(self):
        return self.kind == self.Kind.UNLOCK

    @property
    def is_renewal(self):
        return self.kind == self.Kind.RENEW

    @property
    def outcome_label(self):
        """What happened, in the words a holder uses."""
        if self.status == self.Status.RESOLVED:
            return "Unlocked" if self.kind == self.Kind.UNLOCK else "Renewed"
        return self.get_status_display()


class SmartcardRequestEvent(models.Model):
    """One step in a request's life, shown to the holder as its history."""

    class Action(models.TextChoices):
        RAISED = "raised", "Raised"
        CLAIMED = "claimed", "Claimed"
        RELEASED = "released", "Claim released"
        RESOLVED = "resolved", "Resolved"
        REFERRED = "referred", "Referred to the RA"
        DECLINED = "declined", "Declined"
        CANCELLED = "cancelled", "Cancelled"
        ESCALATED = "escalated", "Escalated: waiting too long"

    request = models.ForeignKey(SmartcardRequest, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=10, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=200)
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.get_action_display()} by {self.actor_label}"
