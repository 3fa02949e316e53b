"""Tables of the bulk import: import runs and their rows, and ODS reconciliations.

The tables were created by the `pharmacy_portal` app and keep its table names.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Organisation


class ImportRun(models.Model):
    """One uploaded file, from its preview to its outcome. Kept as the record of the import."""

    class Kind(models.TextChoices):
        PREMISES = "premises", "Premises"
        STAFF = "staff", "Staff memberships"
        NHSMAIL = "nhsmail", "NHSmail accounts and links"

    class Status(models.TextChoices):
        CHECKING = "checking", "Checking"
        READY = "ready", "Ready to confirm"
        BLOCKED = "blocked", "Has errors"
        APPLYING = "applying", "Importing"
        APPLIED = "applied", "Imported"
        DISCARDED = "discarded", "Discarded"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="import_runs"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    file_name = models.CharField(max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    # A staff file that lists everyone: the preview then offers to end the memberships of
    # people missing from it (never without a separate confirmation).
    is_full_staff_list = models.BooleanField(default=False)
    # Plain sentences on how the file was read (its encoding, separator, sheet), shown
    # with the preview so the person can check.
    file_notes = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CHECKING)
    total_rows = models.PositiveIntegerField(default=0)
    add_count = models.PositiveIntegerField(default=0)
    change_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    checked_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    applied_at = models.DateTimeField(null=True, blank=True)
    missing_ended_count = models.PositiveIntegerField(default=0)
    missing_ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "pharmacy_portal_importrun"
        ordering = ["-uploaded_at", "-id"]
        indexes = [models.Index(fields=["organisation", "-uploaded_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} import of {self.file_name}"

    @property
    def is_busy(self):
        return self.status in (self.Status.CHECKING, self.Status.APPLYING)


class ImportRow(models.Model):
    """One data row of an uploaded file, staged in the database until the run is applied.

    Rows live here rather than in a file so any web process or worker can read them, and
    so checking and applying stream them in chunks whatever the file's size.
    """

    class Action(models.TextChoices):
        ADD = "add", "Add"
        CHANGE = "change", "Change"
        UNCHANGED = "unchanged", "Unchanged"
        ERROR = "error", "Error"

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="rows")
    # The row's number in the spreadsheet, counting the header as row 1.
    number = models.PositiveIntegerField()
    data = models.JSONField(default=dict)
    # What identifies the row's subject (an ODS code, an email, "email|ODS"): duplicates
    # in a file and people missing from a full staff list are found by it.
    key = models.CharField(max_length=300, blank=True)
    action = models.CharField(max_length=10, choices=Action.choices, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    # The row's values as the check cleaned them (dates as ISO text, choices as stored):
    # applying reads these instead of checking the cells again.
    cleaned = models.JSONField(null=True, blank=True)
    # The invitation this row created, and when its email was queued.
    invitation_id = models.BigIntegerField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "pharmacy_portal_importrow"
        ordering = ["run", "number"]
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="one_import_row_per_number")
        ]
        indexes = [
            models.Index(fields=["run", "action", "number"]),
            models.Index(fields=["run", "key"]),
        ]

    def __str__(self):
        return f"Row {self.number} of {self.run}"


class OdsReconciliation(models.Model):
    """One upload of the official NHS ODS pharmacy file, compared with the portal's premises.

    Its rows say, code by code, what differs; nothing changes until a portal admin applies
    it. Kept as the record of the reconciliation.
    """

    class Status(models.TextChoices):
        READY = "ready", "Ready to apply"
        APPLIED = "applied", "Applied"
        DISCARDED = "discarded", "Discarded"

    file_name = models.CharField(max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.READY)
    total_rows = models.PositiveIntegerField(default=0)
    change_count = models.PositiveIntegerField(default=0)
    close_count = models.PositiveIntegerField(default=0)
    new_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    applied_at = models.DateTimeField(null=True, blank=True)
    added_count = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "pharmacy_portal_odsreconciliation"
        ordering = ["-uploaded_at", "-id"]

    def __str__(self):
        return f"ODS reconciliation of {self.file_name}"


class OdsRow(models.Model):
    """A code of the ODS file that differs from the portal (unchanged codes are counted,
    not stored)."""

    class Action(models.TextChoices):
        CHANGE = "change", "Details differ"
        CLOSE = "close", "Closed"
        NEW = "new", "Not on the portal"
        ERROR = "error", "Cannot be read"

    reconciliation = models.ForeignKey(
        OdsReconciliation, on_delete=models.CASCADE, related_name="rows"
    )
    number = models.PositiveIntegerField()
    ods_code = models.CharField("ODS code", max_length=12)
    action = models.CharField(max_length=10, choices=Action.choices)
    premises = models.ForeignKey(
        "accounts.Premises", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # The file's values for the portal's fields (region as its id), for new premises.
    data = models.JSONField(default=dict, blank=True)
    # {field: [portal, file]} in the words the preview shows.
    changes = models.JSONField(default=dict, blank=True)
    message = models.CharField(max_length=300, blank=True)
    added_premises = models.ForeignKey(
        "accounts.Premises", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        db_table = "pharmacy_portal_odsrow"
        ordering = ["reconciliation", "number"]
        indexes = [models.Index(fields=["reconciliation", "action", "number"])]

    def __str__(self):
        return f"{self.ods_code} in {self.reconciliation}"
