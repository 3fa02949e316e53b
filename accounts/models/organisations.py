"""ICB areas, organisations and their premises."""

from django.db import models
from django.db.models import Q

from ..validators import validate_ods_code, validate_postcode


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
