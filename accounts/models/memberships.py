"""Who works where in which role, head-office admins, and unlocker cover."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from .organisations import Organisation, Premises
from .users import User


class MembershipQuerySet(models.QuerySet):
    def current(self, on=None):
        """Memberships in force on a day. end_date is the first day no longer worked."""
        on = on or timezone.localdate()
        return self.filter(Q(start_date__lte=on), Q(end_date__isnull=True) | Q(end_date__gt=on))


class Membership(models.Model):
    class JobRole(models.TextChoices):
        PHARMACIST = "pharmacist", "Pharmacist"
        TECHNICIAN = "technician", "Pharmacy technician"
        DISPENSER = "dispenser", "Dispenser"
        COUNTER_ASSISTANT = "counter_assistant", "Counter assistant"
        OTHER = "other", "Other"

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    premises = models.ForeignKey(Premises, on_delete=models.PROTECT, related_name="memberships")
    job_role = models.CharField(max_length=20, choices=JobRole.choices)
    is_manager = models.BooleanField("Premises manager", default=False)
    start_date = models.DateField(default=timezone.localdate)
    end_date = models.DateField(null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["user__full_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="membership_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["user", "premises"],
                condition=Q(end_date__isnull=True),
                name="one_open_membership_per_premises",
            ),
        ]

    def __str__(self):
        return f"{self.user} at {self.premises}"

    def is_current(self, on=None):
        on = on or timezone.localdate()
        return self.start_date <= on and (self.end_date is None or self.end_date > on)


class OrganisationAdmin(models.Model):
    """A head-office admin of a pharmacy group."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="organisation_admins")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="admins")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="one_admin_row_per_org")
        ]

    def __str__(self):
        return f"{self.user} (head office, {self.organisation})"


class UnlockerCover(models.Model):
    """A local smartcard unlocker covers one premises, or every premises of a group."""

    unlocker = models.ForeignKey(User, on_delete=models.PROTECT, related_name="unlocker_covers")
    premises = models.ForeignKey(
        Premises, null=True, blank=True, on_delete=models.PROTECT, related_name="unlocker_covers"
    )
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="unlocker_covers",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(premises__isnull=False) & Q(organisation__isnull=True))
                | (Q(premises__isnull=True) & Q(organisation__isnull=False)),
                name="cover_is_premises_or_organisation",
            ),
            models.UniqueConstraint(fields=["unlocker", "premises"], name="one_cover_per_premises"),
            models.UniqueConstraint(
                fields=["unlocker", "organisation"], name="one_cover_per_organisation"
            ),
        ]

    def __str__(self):
        return f"{self.unlocker} covers {self.premises or self.organisation}"
