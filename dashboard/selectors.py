"""The cross-area picture, read from the stored standings (accounts.standings).

Nothing here decides a level: each area's standing module does, and this module only
reads what they stored, so the dashboard, its table, the CSV, the premises overview and
the weekly digest agree with the area pages by construction. Filtering, sorting, paging
and totals happen in SQL over PremisesStanding: a fixed number of queries whatever the
number of premises.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import (
    Count,
    IntegerField,
    Max,
    Min,
    Q,
    Sum,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from accounts import standings
from accounts.models import Premises, PremisesStanding, Region, StandingDay, StandingTally
from accounts.permissions import Permission, scope_for

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from datetime import date
    from typing import Any

    from django.db.models import QuerySet

    from accounts.models import User

TREND_WEEKS = 12


def dashboard_premises(user: User) -> QuerySet[Premises]:
    """The premises whose compliance the user may watch: those open today (a premises the
    NHS ODS file shows closed stops counting)."""
    return Premises.objects.filter(
        scope_for(user).premises_filter(Permission.VIEW_COMPLIANCE)
    ).exclude(closed_on__lte=timezone.localdate())


def area_labels() -> dict[str, str]:
    """{area key: label}, in the order pages show the areas."""
    return {a.key: a.label for a in standings.areas()}


# --- Rows --------------------------------------------------------------------------------


@dataclass
class PremisesRow:
    """A premises with its stored standing in every area (StoredStanding by area key)."""

    premises: Premises
    standings: dict

    @property
    def cells(self):
        """[(Area, StoredStanding or None)] in page order."""
        return [(a, self.standings.get(a.key)) for a in standings.areas()]

    @property
    def stale(self):
        """Some area's standing is being worked out again, or has never been stored."""
        return any(standing is None or standing.stale for _, standing in self.cells)

    def __getitem__(self, area_key):
        """row["nhsmail"]: the area's StoredStanding. KeyError when it has none."""
        return self.standings[area_key]


def rows_for(premises_list: Sequence[Premises]) -> list[PremisesRow]:
    """PremisesRows for already-fetched premises, in the order given: one query. Reads
    what is stored; call standings.ensure_current first for today's picture."""
    stored = standings.stored_standings([p.pk for p in premises_list])
    return [PremisesRow(p, stored.get(p.pk, {})) for p in premises_list]


def premises_row(premises: Premises) -> PremisesRow:
    """The PremisesRow of one premises, made current first."""
    standings.ensure_current(Premises.objects.filter(pk=premises.pk))
    return rows_for([premises])[0]


# --- Filtering and sorting the table -----------------------------------------------------

# Filters on the figures behind a standing, beside the level filters: (area, condition on
# that area's stored figures).
FIGURE_FILTERS = {
    "smartcards": {
        "expired": Q(figures__certificates_expired__gt=0),
        "expiring_30": Q(figures__expiring_30__gt=0),
        "expiring_60": Q(figures__expiring_60__gt=0),
        "expiring_90": Q(figures__expiring_90__gt=0),
        "open_requests": Q(figures__open_requests__gt=0),
        "no_cover": Q(figures__unlocker_count=0),
    },
    "eps": {"low": Q(figures__is_low=True)},
    "records": {"no_ready_pharmacist": Q(figures__has_ready_pharmacist=False)},
}


def _prefixed(condition, prefix):
    """Q(figures__x=1) as Q(<prefix>__figures__x=1), for a joined standing."""
    prefixed = Q(_connector=condition.connector, _negated=condition.negated)
    for child in condition.children:
        if isinstance(child, Q):
            prefixed.children.append(_prefixed(child, prefix))
        else:
            lookup, value = child
            prefixed.children.append((f"{prefix}__{lookup}", value))
    return prefixed


@dataclass(frozen=True)
class TableFilter:
    """What a head office asked the table for. Unknown values mean no filter, not errors.

    levels: {area key: a level or a FIGURE_FILTERS key}.
    """

    q: str = ""
    region: int | None = None
    levels: tuple = ()  # ((area key, value), ...)
    sort: str = "name"
    descending: bool = False

    def filter_queryset(self, premises):
        """The premises matching, sorted, in SQL."""
        if self.q:
            premises = premises.filter(Q(name__icontains=self.q) | Q(ods_code__icontains=self.q))
        if self.region:
            premises = premises.filter(region_id=self.region)
        premises = standings.join_standings(premises)
        for key, value in self.levels:
            joined = standings.joined(key)
            if value in standings.SEVERITY:
                premises = premises.filter(**{f"{joined}__level": value})
            elif value in FIGURE_FILTERS.get(key, {}):
                premises = premises.filter(_prefixed(FIGURE_FILTERS[key][value], joined))
        return premises.order_by(*self._ordering())

    def _ordering(self):
        if self.sort in area_labels():
            urgency = standings.urgency(self.sort)
            first = urgency.desc() if self.descending else urgency.asc()
            return [first, "name", "pk"]
        if self.sort == "ods":
            return ["-ods_code" if self.descending else "ods_code"]
        return ["-name", "-pk"] if self.descending else ["name", "pk"]


def table_premises(user: User, table_filter: TableFilter) -> QuerySet[Premises]:
    """The premises of the table (dashboard_premises), filtered and sorted in SQL, with
    organisation and region joined, made current first."""
    scope = dashboard_premises(user)
    standings.ensure_current(scope)
    return table_filter.filter_queryset(scope).select_related("organisation", "region")


def export_rows(
    user: User, table_filter: TableFilter, *, chunk_size: int = 2000
) -> Iterator[tuple[Any, ...]]:
    """The table's rows for the CSV, streamed as tuples from one query through a
    server-side cursor, so an export of 12,000 premises never holds them in memory:
    (ods_code, name, organisation, ICB, then level and reason of each area in page order).
    ICB, level and reason are None where there is none; export_label words a level.
    """
    premises = table_premises(user, table_filter)
    columns = ["ods_code", "name", "organisation__name", "region__name"]
    for a in standings.areas():
        columns += [f"{standings.joined(a.key)}__level", f"{standings.joined(a.key)}__reason"]
    return premises.values_list(*columns).iterator(chunk_size=chunk_size)


def export_header() -> list[str]:
    """The CSV's header row, in export_rows' column order: ODS code, premises,
    organisation, ICB area, then each area's label and "<label>: reason"."""
    header = ["ODS code", "Premises", "Organisation", "ICB area"]
    for a in standings.areas():
        header += [a.label, f"{a.label}: reason"]
    return header


def export_label(area_key: str, level: str | None) -> str:
    """The words for a stored level in an export cell."""
    if level is None:
        return "Not worked out yet"
    return standings.area(area_key).label_for(level)


# --- Headline figures --------------------------------------------------------------------


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


# --- Trends ------------------------------------------------------------------------------


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


def regions_of(premises_queryset: QuerySet[Premises]) -> QuerySet[Region]:
    """The ICB areas (Region) the premises are in, by name: the table's region filter."""
    return Region.objects.filter(pk__in=premises_queryset.values("region_id")).order_by("name")
