import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from .validators import validate_ods_code, validate_postcode


def short_name(full_name):
    """'A. Khan' style, as used in compliance reasons and queues."""
    parts = full_name.split()
    if len(parts) < 2:
        return full_name
    return f"{parts[0][0]}. {parts[-1]}"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)

    def create_user(self, email, full_name, password=None, **extra):
        user = self.model(email=self.normalize_email(email).lower(), full_name=full_name, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, full_name, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True, is_portal_admin=True)
        return self.create_user(email, full_name, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("Email address", unique=True)
    full_name = models.CharField(max_length=150)
    is_active = models.BooleanField(default=True)
    # Django admin site access (the developers' back door), not a portal role.
    is_staff = models.BooleanField(default=False)
    # The LPC or RA team who run the portal for everyone.
    is_portal_admin = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self):
        return self.full_name or self.email

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    @property
    def short_name(self):
        return short_name(self.full_name)


class Region(models.Model):
    """An ICB area. Registration Authority contacts and trends hang off it.

    name is how the portal shows it ("West Yorkshire ICB"); ods_code ("QWO") and
    official_name ("NHS West Yorkshire Integrated Care Board") are how NHS ODS names it, so
    imports and the ODS pharmacy file can give any of the three.
    """

    name = models.CharField(max_length=120, unique=True)
    ods_code = models.CharField("ODS code", max_length=3, blank=True)
    official_name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["ods_code"], condition=~Q(ods_code=""), name="one_region_per_ods_code"
            )
        ]

    def __str__(self):
        return self.name


class Organisation(models.Model):
    class Kind(models.TextChoices):
        INDEPENDENT = "independent", "Independent pharmacy"
        MULTIPLE = "multiple", "Pharmacy group (multiple)"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Premises(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="premises"
    )
    ods_code = models.CharField(
        "ODS code", max_length=5, unique=True, validators=[validate_ods_code]
    )
    name = models.CharField(max_length=200)
    address_line_1 = models.CharField("Address line 1", max_length=200)
    address_line_2 = models.CharField("Address line 2", max_length=200, blank=True)
    town = models.CharField("Town or city", max_length=100)
    postcode = models.CharField(max_length=8, validators=[validate_postcode])
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="premises")
    created_at = models.DateTimeField(auto_now_add=True)
    # The close date the official NHS ODS pharmacy file gives: from that day the premises
    # no longer counts in standings and dashboards (pages say "closed on ...").
    closed_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "premises"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ods_code__regex=r"^F[A-Z0-9]{4}$"), name="premises_ods_code_shape"
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.ods_code})"


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


# --- Standings ---------------------------------------------------------------------------


class StandingLevel(models.TextChoices):
    """The three levels every area's standing uses (accounts.standings). The NHSmail rule
    keeps its own words for them (nhsmail.models.ComplianceStatus)."""

    RED = "red", "Needs action"
    AMBER = "amber", "Watch"
    GREEN = "green", "In order"


class PremisesStanding(models.Model):
    """One area's standing of one premises, as last worked out by that area's standing
    module. Every page reads these; accounts.standings keeps them current.

    `stale` is set in the same transaction as a change the standing depends on and cleared
    when the standing is worked out again after commit, so a refresh that fails leaves the
    row marked, never silently out of date.
    """

    premises = models.ForeignKey(Premises, on_delete=models.CASCADE, related_name="standings")
    area = models.CharField(max_length=20)
    level = models.CharField(max_length=5, choices=StandingLevel.choices)
    reason = models.CharField(max_length=500)
    figures = models.JSONField(default=dict)
    # The day the standing was worked out for, and when.
    worked_out_for = models.DateField()
    worked_out_at = models.DateTimeField()
    stale = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["premises", "area"], name="one_standing_per_area"),
            models.CheckConstraint(
                condition=Q(level__in=StandingLevel.values), name="standing_level_known"
            ),
        ]
        indexes = [
            models.Index(fields=["area", "level"]),
            # Readers look for rows to repair: few or none, found through these two.
            models.Index(fields=["worked_out_for"]),
            models.Index(fields=["premises"], condition=Q(stale=True), name="standing_stale"),
        ]

    def __str__(self):
        return f"{self.premises_id} {self.area}: {self.level}"


class StandingDay(models.Model):
    """An area's standing of a premises at the end of one day: the trends' history."""

    premises = models.ForeignKey(Premises, on_delete=models.CASCADE, related_name="standing_days")
    area = models.CharField(max_length=20)
    day = models.DateField()
    level = models.CharField(max_length=5, choices=StandingLevel.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["premises", "area", "day"], name="one_standing_per_area_per_day"
            ),
            models.CheckConstraint(
                condition=Q(level__in=StandingLevel.values), name="standing_day_level_known"
            ),
        ]
        indexes = [models.Index(fields=["day", "area", "level"])]

    def __str__(self):
        return f"{self.premises_id} {self.area} {self.day}: {self.level}"


class StandingTally(models.Model):
    """How many premises of one organisation in one ICB area stood at each level in an
    area at the end of a day: StandingDay summed, so a head office's 12-week trends read a
    few hundred rows instead of a row per premises per day. accounts.standings keeps it
    in step with StandingDay; a premises counts where it belonged on the day it was
    tallied."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    area = models.CharField(max_length=20)
    day = models.DateField()
    level = models.CharField(max_length=5, choices=StandingLevel.choices)
    premises_count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "region", "area", "day", "level"],
                name="one_tally_per_organisation_region_area_day_level",
            )
        ]
        indexes = [models.Index(fields=["day", "area"])]

    def __str__(self):
        return f"{self.organisation_id}/{self.region_id} {self.area} {self.day}: {self.level}"
