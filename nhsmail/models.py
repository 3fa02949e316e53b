from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Premises

from .validators import validate_nhsmail_address


class SharedMailbox(models.Model):
    """A premises' shared NHSmail mailbox, normally pharmacy.<ODS code>@nhs.net."""

    premises = models.OneToOneField(
        Premises, on_delete=models.PROTECT, related_name="shared_mailbox"
    )
    address = models.EmailField(unique=True, validators=[validate_nhsmail_address])
    # Shared mailbox owners add and remove staff from the mailbox in NHSmail itself.
    owners = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "shared mailboxes"

    def __str__(self):
        return self.address


class PersonalAccount(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        LIVE = "live", "Live"
        INACTIVE = "inactive", "Inactive"
        DISABLED = "disabled", "Disabled for leave"
        LEAVER = "leaver", "Leaver"
        DELETED = "deleted", "Deleted"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="nhsmail_account"
    )
    address = models.EmailField(unique=True, validators=[validate_nhsmail_address])
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.LIVE)
    # The portal cannot see NHSmail sign-ins, so people confirm they still use the account.
    last_confirmed_on = models.DateField(null=True, blank=True)
    last_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The confirmation date a "confirm before 30 days" reminder was sent for: one per cycle.
    reminder_sent_for = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return self.address


class MailboxLinkQuerySet(models.QuerySet):
    def current(self):
        return self.filter(unlinked_on__isnull=True)


class MailboxLink(models.Model):
    """A personal account linked to a shared mailbox. Unlinking keeps the row as history."""

    account = models.ForeignKey(PersonalAccount, on_delete=models.PROTECT, related_name="links")
    mailbox = models.ForeignKey(SharedMailbox, on_delete=models.PROTECT, related_name="links")
    linked_on = models.DateField(default=timezone.localdate)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    unlinked_on = models.DateField(null=True, blank=True)
    unlinked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = MailboxLinkQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "mailbox"],
                condition=Q(unlinked_on__isnull=True),
                name="one_current_link_per_account_and_mailbox",
            ),
            models.CheckConstraint(
                condition=Q(unlinked_on__isnull=True) | Q(unlinked_on__gte=models.F("linked_on")),
                name="link_unlinked_after_linked",
            ),
        ]

    def __str__(self):
        return f"{self.account} -> {self.mailbox}"


class ComplianceStatus(models.TextChoices):
    RED = "red", "Not compliant"
    AMBER = "amber", "Compliant, at risk"
    GREEN = "green", "Compliant"


class ComplianceAlertState(models.Model):
    """The last status people were told about, so each transition emails once."""

    premises = models.OneToOneField(
        Premises, on_delete=models.PROTECT, related_name="nhsmail_alert_state"
    )
    status = models.CharField(max_length=5, choices=ComplianceStatus.choices)
    since = models.DateField()
    last_notified_on = models.DateField(null=True, blank=True)

    def __str__(self):
        return f"{self.premises}: {self.status} since {self.since}"


class AccountRequest(models.Model):
    """A member's request for a personal NHSmail account, tracked to done."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        SUBMITTED = "submitted", "Submitted for registration"
        LIVE = "live", "Account live"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="nhsmail_requests"
    )
    premises = models.ForeignKey(
        Premises, on_delete=models.PROTECT, related_name="nhsmail_requests"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The personal account recorded when the request went live.
    account = models.ForeignKey(
        PersonalAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="requests"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "premises"],
                condition=~Q(status="live"),
                name="one_open_nhsmail_request_per_person_and_premises",
            )
        ]

    def __str__(self):
        return f"NHSmail account request for {self.user.full_name} at {self.premises.name}"

    @property
    def is_open(self):
        return self.status != self.Status.LIVE

    @property
    def awaits_submission(self):
        """Next step: a manager submits the registration ("Mark as submitted")."""
        return self.status == self.Status.REQUESTED

    @property
    def awaits_account(self):
        """Next step: the account goes live ("Mark account live")."""
        return self.status == self.Status.SUBMITTED
