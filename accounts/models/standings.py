"""The stored standings (accounts.standings keeps them): the current one per premises and
area, its daily history, and each day's tallies."""

from django.db import models
from django.db.models import Q

from .organisations import Organisation, Premises, Region


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
