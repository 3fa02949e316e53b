"""The dashboard's headline figures and its summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Count, IntegerField, Max, Min, Q, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from accounts import standings
from accounts.models import Premises, PremisesStanding

from .rows import dashboard_premises
from .trends import trends, trends_by_region, whole_organisation_tallies

if TYPE_CHECKING:
    from datetime import date

    from django.db.models import QuerySet

    from accounts.models import User


def _figure(name):
    return Cast(KT(f"figures__{name}"), IntegerField())


@dataclass
class Headline:
    premises_count: int
    # {area key: {level: number of premises}}
    levels: dict
    certificates_expired: int
    expiring_30: int
    expiring_60: int
    expiring_90: int
    open_requests: int
    urgent_requests: int
    oldest_waiting_since: object
    low_on_tokens: int
    without_ready_pharmacist: int
    worked_out_at: object
    stale: int

    @property
    def areas(self):
        """[(Area, [(level, label, number of premises)])] in page order, most urgent first."""
        order = sorted(standings.SEVERITY, key=standings.SEVERITY.get)
        return [
            (
                a,
                [
                    (level, a.label_for(level), self.levels.get(a.key, {}).get(level, 0))
                    for level in order
                ],
            )
            for a in standings.areas()
        ]


def headline(premises_queryset: QuerySet[Premises]) -> Headline:
    """The dashboard's figures for a set of premises, summed from their stored standings:
    three queries (the premises count, one pass over the standings grouped by area and
    level, and the stale premises through their partial index). Smartcard figures add
    up per premises, so a locum's card counts at each premises they work at, as each
    area page shows it."""
    rows = PremisesStanding.objects.filter(premises__in=premises_queryset.order_by().values("pk"))
    smartcards, eps, records = Q(area="smartcards"), Q(area="eps"), Q(area="records")
    sums = {
        "certificates_expired": Sum(_figure("certificates_expired"), filter=smartcards),
        "expiring_30": Sum(_figure("expiring_30"), filter=smartcards),
        "expiring_60": Sum(_figure("expiring_60"), filter=smartcards),
        "expiring_90": Sum(_figure("expiring_90"), filter=smartcards),
        "open_requests": Sum(_figure("open_requests"), filter=smartcards),
        "urgent_requests": Sum(_figure("urgent_requests"), filter=smartcards),
        "low_on_tokens": Count("pk", filter=eps & Q(figures__is_low=True)),
        "without_ready_pharmacist": Count(
            "pk", filter=records & Q(figures__has_ready_pharmacist=False)
        ),
    }
    groups = list(
        rows.values("area", "level")
        .annotate(
            premises=Count("pk"),
            oldest=Min(KT("figures__oldest_raised_at"), filter=smartcards),
            latest=Max("worked_out_at"),
            **sums,
        )
        .order_by()
    )
    levels = {}
    for group in groups:
        levels.setdefault(group["area"], {})[group["level"]] = group["premises"]
    oldest = min((g["oldest"] for g in groups if g["oldest"]), default=None)
    return Headline(
        premises_count=premises_queryset.count(),
        levels=levels,
        oldest_waiting_since=_parse_moment(oldest),
        worked_out_at=max((g["latest"] for g in groups if g["latest"]), default=None),
        stale=rows.filter(stale=True).values("premises_id").distinct().count(),
        # Sums over no rows are None: an empty scope has nothing waiting.
        **{name: sum(g[name] or 0 for g in groups) for name in sums},
    )


def _parse_moment(text):
    return datetime.fromisoformat(text) if text else None


@dataclass
class DashboardSummary:
    headline: Headline
    trends: dict
    regional_trends: dict


def dashboard_summary(user: User, *, today: date | None = None) -> DashboardSummary:
    """The DashboardSummary of the premises the user watches (dashboard_premises), made
    current first: the headline, every area's trend and NHSmail's trend by ICB area."""
    today = today or timezone.localdate()
    premises = dashboard_premises(user)
    standings.ensure_current(premises, on=today)
    tallies = whole_organisation_tallies(user, premises)
    return DashboardSummary(
        headline=headline(premises),
        trends=trends(premises, today=today, tallies=tallies),
        regional_trends=trends_by_region(premises, "nhsmail", today=today, tallies=tallies),
    )
