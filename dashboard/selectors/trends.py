"""Trends: each area's levels week by week, from the daily tallies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db.models import Count, Sum
from django.utils import timezone

from accounts import standings
from accounts.models import Premises, StandingDay, StandingTally
from accounts.permissions import scope_for

if TYPE_CHECKING:
    from datetime import date

    from django.db.models import QuerySet

    from accounts.models import User


TREND_WEEKS = 12


@dataclass
class TrendPoint:
    day: object
    red: int = 0
    amber: int = 0
    green: int = 0

    @property
    def total(self):
        return self.red + self.amber + self.green

    @property
    def not_red_percent(self):
        """Premises not needing action (for NHSmail: meeting the rule), as a percentage."""
        return round(100 * (self.amber + self.green) / self.total) if self.total else None


@dataclass
class Trend:
    area: object  # accounts.standings.Area
    points: list

    percent_label = "No action needed"

    @property
    def labels(self):
        """(red, amber, green) words for this area's levels, in TrendPoint's order."""
        levels = (standings.RED, standings.AMBER, standings.GREEN)
        return tuple(self.area.label_for(level) for level in levels)


def trend_days(today: date, weeks: int = TREND_WEEKS) -> list[date]:
    """The same weekday in each of the last `weeks` weeks, oldest first."""
    return [today - timedelta(weeks=k) for k in reversed(range(weeks))]


def whole_organisation_tallies(
    user: User, premises_queryset: QuerySet[Premises]
) -> QuerySet[StandingTally] | None:
    """StandingTally rows covering exactly the user's dashboard premises, when those are
    whole organisations (a head office's groups, or everything for a portal admin), else
    None: a manager watching their own premises reads the per-premises history. One
    query at most."""
    scope = scope_for(user)
    if scope.is_portal_admin:
        return StandingTally.objects.all()
    organisation_ids = scope.admin_organisation_ids
    if (
        organisation_ids
        and not premises_queryset.exclude(organisation_id__in=organisation_ids).exists()
    ):
        return StandingTally.objects.filter(organisation_id__in=organisation_ids)
    return None


def _trend_counts(premises_queryset, tallies, days, group, area_key=None):
    """[(group value, day, level, premises)] from the tallies when given, else from the
    per-premises history: one query."""
    if tallies is not None:
        rows, count = tallies.filter(day__in=days), Sum("premises_count")
    else:
        rows = StandingDay.objects.filter(
            day__in=days, premises__in=premises_queryset.order_by().values("pk")
        )
        count = Count("pk")
        group = {"region__name": "premises__region__name"}.get(group, group)
    if area_key is not None:
        rows = rows.filter(area=area_key)
    return rows.values_list(group, "day", "level").annotate(n=count).order_by()


def trends(
    premises_queryset: QuerySet[Premises],
    *,
    today: date | None = None,
    weeks: int = TREND_WEEKS,
    tallies: QuerySet[StandingTally] | None = None,
) -> dict[str, Trend]:
    """{area key: Trend} of every area over the last `weeks` weeks (one TrendPoint per
    week, on today's weekday, oldest first; today when None): one query, over the
    tallies when the premises are whole organisations (whole_organisation_tallies), else
    over the per-premises history."""
    days = trend_days(today or timezone.localdate(), weeks)
    points = {a.key: {day: TrendPoint(day) for day in days} for a in standings.areas()}
    for area_key, day, level, n in _trend_counts(premises_queryset, tallies, days, "area"):
        if area_key in points:
            setattr(points[area_key][day], level, n)
    return {a.key: Trend(a, [points[a.key][day] for day in days]) for a in standings.areas()}


def trends_by_region(
    premises_queryset: QuerySet[Premises],
    area_key: str,
    *,
    today: date | None = None,
    weeks: int = TREND_WEEKS,
    tallies: QuerySet[StandingTally] | None = None,
) -> dict[str, list[TrendPoint]]:
    """{region name: [TrendPoint...]} of one area for the regions of the premises: one
    query, over the tallies when given. Regions sorted by name, points as in trends."""
    days = trend_days(today or timezone.localdate(), weeks)
    regions = {}
    counts = _trend_counts(premises_queryset, tallies, days, "region__name", area_key)
    for region, day, level, n in counts:
        points = regions.setdefault(region, {d: TrendPoint(d) for d in days})
        setattr(points[day], level, n)
    return {region: [points[d] for d in days] for region, points in sorted(regions.items())}
