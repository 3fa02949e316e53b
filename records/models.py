from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Membership, Organisation

from .validators import GPHC_NUMBER_REGEX, SLUG_REGEX

# --- Guidance ----------------------------------------------------------------------------


class GuidanceArea(models.TextChoices):
    NHSMAIL = "nhsmail", "NHSmail"
    SMARTCARDS = "smartcards", "Smartcards"
    EPS = "eps", "Electronic Prescription Service (EPS)"
    RECORDS = "records", "Summary Care Record and NCRS"
    GENERAL = "general", "General"


class GuidanceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


# A page is listed as due for review this many days before its review date.
REVIEW_SOON_DAYS = 30


class GuidancePageQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=GuidanceStatus.PUBLISHED)

    def past_review(self, today):
        return self.filter(review_by__lt=today)

    def due_for_review(self, today):
        """Pages past their review date or due within REVIEW_SOON_DAYS of today."""
        return self.filter(review_by__lte=today + timedelta(days=REVIEW_SOON_DAYS))


class GuidancePage(models.Model):
    """A page of guidance, written in Markdown by portal admins.

    The slug never changes once the page exists: other areas link to pages by slug.
    Every save also writes a GuidancePageVersion, so `version` is the number of the
    latest one.
    """

    slug = models.SlugField(max_length=60, unique=True)
    area = models.CharField(max_length=20, choices=GuidanceArea.choices)
    title = models.CharField(max_length=150)
    summary = models.CharField(max_length=300)
    body = models.TextField()
    status = models.CharField(
        max_length=20, choices=GuidanceStatus.choices, default=GuidanceStatus.DRAFT
    )
    review_by = models.DateField()
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Title weighted A, summary and body B; kept up to date by records.search on PostgreSQL
    # and left empty on SQLite, where search falls back to substring matching.
    search_vector = SearchVectorField(null=True, editable=False)

    objects = GuidancePageQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        indexes = [GinIndex(fields=["search_vector"], name="guidance_search_gin")]
        constraints = [
            models.CheckConstraint(condition=Q(slug__regex=SLUG_REGEX), name="guidance_slug_shape"),
            models.CheckConstraint(condition=~Q(title=""), name="guidance_title_not_empty"),
            models.CheckConstraint(
                condition=Q(status__in=GuidanceStatus.values), name="guidance_status_known"
            ),
            models.CheckConstraint(
                condition=Q(area__in=GuidanceArea.values), name="guidance_area_known"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="guidance_version_positive"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_published(self):
        return self.status == GuidanceStatus.PUBLISHED

    def is_past_review(self, today=None):
        return self.review_by < (today or timezone.localdate())


class GuidancePageVersion(models.Model):
    """What a page said after one save: the page's history, never changed afterwards."""

    page = models.ForeignKey(GuidancePage, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    area = models.CharField(max_length=20, choices=GuidanceArea.choices)
    title = models.CharField(max_length=150)
    summary = models.CharField(max_length=300)
    body = models.TextField()
    status = models.CharField(max_length=20, choices=GuidanceStatus.choices)
    review_by = models.DateField()
    change_note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Empty for the content the portal was installed with.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["page", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["page", "number"], name="one_version_number_per_page")
        ]

    def __str__(self):
        return f"{self.title} (version {self.number})"

    @property
    def author_label(self):
        return self.created_by.full_name if self.created_by else "Portal (initial content)"


class GuidanceReviewReminder(models.Model):
    """One row per page per week a review reminder went out: the unique constraint is what
    makes the weekly job send once however often it runs."""

    page = models.ForeignKey(
        GuidancePage, on_delete=models.CASCADE, related_name="review_reminders"
    )
    # The Monday of the week the reminder was for.
    week_of = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["page", "week_of"], name="one_reminder_per_page_week")
        ]

    def __str__(self):
        return f"Review reminder for {self.page} (week of {self.week_of})"


# --- SCR/NCRS readiness ------------------------------------------------------------------


class GphcRegistration(models.Model):
    """A person's General Pharmaceutical Council registration number.

    It belongs to the person, not a premises: a locum has one number wherever they work.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="gphc_registration"
    )
    number = models.CharField("GPhC registration number", max_length=7, unique=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(number__regex=GPHC_NUMBER_REGEX), name="gphc_number_seven_digits"
            )
        ]

    def __str__(self):
        return f"{self.user} (GPhC {self.number})"


class ScrRole(models.TextChoices):
    NONE = "none", "No SCR role yet"
    PREMISES = "premises", "On this premises' ODS code"
    LOCUM = "locum", "On the national locum code FFFFF"


class ReadinessRecord(models.Model):
    """What a manager or head office recorded about one person's SCR/NCRS access at one
    premises. Whether that makes them ready is worked out (records.readiness), not stored."""

    membership = models.OneToOneField(
        Membership, on_delete=models.PROTECT, related_name="scr_readiness"
    )
    # Trainee pharmacists and trainee pharmacy technicians: eligible, not yet registered.
    is_trainee = models.BooleanField("Trainee", default=False)
    scr_role = models.CharField(
        "SCR role on the smartcard", max_length=20, choices=ScrRole.choices, default=ScrRole.NONE
    )
    cppe_training_on = models.DateField("CPPE SCR e-learning completed", null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(scr_role__in=ScrRole.values), name="readiness_scr_role_known"
            )
        ]

    def __str__(self):
        return f"SCR readiness of {self.membership}"


class ScrGovernancePerson(models.Model):
    """The organisation's SCR governance person (SGP, formerly the privacy officer): trained,
    and the one who watches SCR access alerts."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.PROTECT, related_name="scr_governance_person"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    trained_on = models.DateField("SGP training completed", null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "SCR governance person"

    def __str__(self):
        return f"{self.user} (SGP, {self.organisation})"
