"""The cross-area picture: every area's per-premises figures, composed.

Each area owns its figures (nhsmail.rules.evaluate, smartcards and records annotations,
eps.token_figures); this module only joins them per premises and turns each into a
red/amber/green standing, so the dashboard, its table, the CSV and the weekly digest
agree with the area pages by construction. A fixed number of queries for any number of
premises: one for premises with the smartcard and readiness annotations, one for tokens,
two for NHSmail.
"""

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from hashlib import sha256

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import Premises, Region
from accounts.permissions import Permission, scope_for
from eps.selectors import token_figures
from nhsmail import rules as nhsmail_rules
from nhsmail.models import ComplianceSnapshot
from records.selectors import readiness_figures
from smartcards.selectors import premises_smartcard_figures

logger = logging.getLogger(__name__)

RED, AMBER, GREEN = "red", "amber", "green"
STANDING_LABELS = {RED: "Needs action", AMBER: "Watch", GREEN: "In order"}
TREND_WEEKS = 12


@dataclass
class PremisesRow:
    premises: Premises  # annotated with smartcard and readiness figures
    nhsmail: nhsmail_rules.Evaluation
    tokens: object  # eps.selectors.TokenFigures

    @property
    def nhsmail_status(self):
        return str(self.nhsmail.status)

    @property
    def smartcards_status(self):
        p = self.premises
        if p.certificates_expired or p.urgent_requests:
            return RED
        if p.expiring_30 or p.open_requests or not p.unlocker_count:
            return AMBER
        return GREEN

    @property
    def smartcards_summary(self):
        p = self.premises
        parts = []
        if p.open_requests:
            parts.append(f"{p.open_requests} open request{'s' if p.open_requests != 1 else ''}")
        if p.certificates_expired:
            parts.append(f"{p.certificates_expired} expired")
        if p.expiring_30:
            parts.append(f"{p.expiring_30} expiring within 30 days")
        if not p.unlocker_count:
            parts.append("no unlocker cover")
        return ", ".join(parts) or "Nothing waiting"

    @property
    def tokens_status(self):
        if self.tokens.needs_alert:
            return RED
        if self.tokens.is_low or not self.tokens.has_usage or self.tokens.overdue_orders:
            return AMBER
        return GREEN

    @property
    def tokens_summary(self):
        t = self.tokens
        if not t.has_usage:
            return f"{t.stock} in stock, no usage recorded"
        return f"{t.stock} in stock, {t.days_of_cover} days of cover"

    @property
    def records_status(self):
        if not self.premises.has_ready_pharmacist:
            return RED
        if self.premises.training_due_count:
            return AMBER
        return GREEN

    @property
    def records_summary(self):
        p = self.premises
        if not p.has_ready_pharmacist:
            return f"No SCR-ready pharmacist ({p.ready_staff_count} ready)"
        return f"{p.ready_staff_count} of {p.eligible_staff_count} eligible staff ready"

    def status_of(self, area):
        return getattr(self, f"{area}_status")


AREAS = ("nhsmail", "smartcards", "tokens", "records")
AREA_LABELS = {
    "nhsmail": "NHSmail",
    "smartcards": "Smartcards",
    "tokens": "EPS tokens",
    "records": "SCR/NCRS",
}


def dashboard_premises(user):
    """The premises whose compliance the user may watch."""
    return Premises.objects.filter(scope_for(user).premises_filter(Permission.VIEW_COMPLIANCE))


def premises_rows(premises_queryset, *, today=None):
    """One PremisesRow per premises, in the queryset's order: four queries in all."""
    today = today or timezone.localdate()
    annotated = readiness_figures(
        premises_smartcard_figures(
            premises_queryset.select_related("organisation", "region"), today
        ),
        today=today,
    )
    premises = list(annotated)
    evaluations = nhsmail_rules.evaluate(premises_queryset, on=today)
    tokens = {f.premises.pk: f for f in token_figures(premises_queryset.order_by(), today=today)}
    return [PremisesRow(p, evaluations[p.pk], tokens[p.pk]) for p in premises]


# --- Filtering and sorting the table -----------------------------------------------------

SMARTCARD_FILTERS = {
    "expiring_30": lambda p: p.expiring_30 > 0,
    "expiring_60": lambda p: p.expiring_60 > 0,
    "expiring_90": lambda p: p.expiring_90 > 0,
    "open_requests": lambda p: p.open_requests > 0,
    "no_cover": lambda p: not p.unlocker_count,
}
TOKEN_FILTERS = {"low": lambda t: t.is_low}
RECORDS_FILTERS = {"no_ready_pharmacist": lambda p: not p.has_ready_pharmacist}


@dataclass(frozen=True)
class TableFilter:
    """What a head office asked the table for. Unknown values mean no filter, not errors."""

    q: str = ""
    region: int | None = None
    nhsmail: str = ""
    smartcards: str = ""
    tokens: str = ""
    records: str = ""
    sort: str = "name"
    descending: bool = False

    def filter_queryset(self, premises):
        if self.q:
            premises = premises.filter(Q(name__icontains=self.q) | Q(ods_code__icontains=self.q))
        if self.region:
            premises = premises.filter(region_id=self.region)
        return premises.order_by("name", "pk")

    def keep(self, row):
        for area, value, special in (
            ("nhsmail", self.nhsmail, {}),
            ("smartcards", self.smartcards, SMARTCARD_FILTERS),
            ("tokens", self.tokens, TOKEN_FILTERS),
            ("records", self.records, RECORDS_FILTERS),
        ):
            if not value:
                continue
            if value in special:
                subject = row.tokens if area == "tokens" else row.premises
                if not special[value](subject):
                    return False
            elif row.status_of(area) != value:
                return False
        return True

    @property
    def area_filtered(self):
        return any((self.nhsmail, self.smartcards, self.tokens, self.records))


SEVERITY = {RED: 0, AMBER: 1, GREEN: 2}
SORT_KEYS = {
    "name": lambda row: (row.premises.name.lower(), row.premises.pk),
    "ods": lambda row: row.premises.ods_code,
    **{
        area: (lambda row, area=area: (SEVERITY[row.status_of(area)], row.premises.name.lower()))
        for area in AREAS
    },
}


def _filtered_and_sorted(premises, table_filter, today):
    rows = [row for row in premises_rows(premises, today=today) if table_filter.keep(row)]
    rows.sort(
        key=SORT_KEYS.get(table_filter.sort, SORT_KEYS["name"]), reverse=table_filter.descending
    )
    return rows


def table_rows(user, table_filter, *, today=None):
    premises = table_filter.filter_queryset(dashboard_premises(user))
    return _filtered_and_sorted(premises, table_filter, today)


def table_row_ids(user, table_filter, *, today=None):
    """(premises ids of table_rows in table order, when worked out): remembered a while
    (see remembered), so paging through 2,000 premises does not work them all out again
    for every page. Render a page of them with rows_for_ids."""
    today = today or timezone.localdate()
    premises = table_filter.filter_queryset(dashboard_premises(user))
    return remembered(
        "table",
        premises,
        (today, table_filter),
        lambda: [row.premises.pk for row in _filtered_and_sorted(premises, table_filter, today)],
    )


def rows_for_ids(ids, *, today=None):
    """PremisesRows for these premises ids, in the order given: four queries."""
    rows = premises_rows(Premises.objects.filter(pk__in=ids), today=today)
    by_pk = {row.premises.pk: row for row in rows}
    # A premises removed since the ids were remembered is left out, not an error.
    return [by_pk[pk] for pk in ids if pk in by_pk]


def table_rows_streamed(user, table_filter, *, today=None, chunk_size=500):
    """The same rows as table_rows, in name order, a chunk of premises at a time, so an
    export of 12,000 premises never holds them all in memory."""
    premises = table_filter.filter_queryset(dashboard_premises(user))
    last_name, last_pk = None, None
    while True:
        chunk = premises
        if last_pk is not None:
            chunk = chunk.filter(Q(name__gt=last_name) | Q(name=last_name, pk__gt=last_pk))
        ids = list(chunk.values_list("pk", "name")[:chunk_size])
        if not ids:
            return
        last_pk, last_name = ids[-1][0], ids[-1][1]
        for row in premises_rows(
            Premises.objects.filter(pk__in=[pk for pk, _ in ids]).order_by("name", "pk"),
            today=today,
        ):
            if table_filter.keep(row):
                yield row


# --- Remembering head-office figures ----------------------------------------------------


def remembered(name, premises_queryset, parts, compute):
    """(compute(), when it was worked out), kept in the cache for DASHBOARD_CACHE_SECONDS.

    Working out every area's figures for a 2,000-premises group takes about a second; head
    offices reload and page through them far more often than they change, and on a busy
    morning that second is taken from the pharmacists' pages. The key is made from the ids
    of exactly the premises asked about (and `parts`): two people watching the same
    premises share figures, and nobody is ever shown premises outside their own scope.
    Pages say when the figures were worked out. With the setting at 0, or the cache not
    answering, figures are worked out on every request.
    """
    seconds = settings.DASHBOARD_CACHE_SECONDS
    if not seconds:
        return compute(), None
    ids = sorted(premises_queryset.order_by().values_list("pk", flat=True))
    digest = sha256(f"{ids}|{parts!r}".encode()).hexdigest()
    key = f"dashboard:{name}:{digest}"
    try:
        hit = cache.get(key)
    except Exception:  # any cache failure: a slower page, never an error page
        logger.warning("dashboard cache unavailable", exc_info=True)
        hit = None
    if hit is not None:
        return hit
    value = (compute(), timezone.now())
    try:
        cache.set(key, value, seconds)
    except Exception:
        logger.warning("dashboard cache unavailable", exc_info=True)
    return value


# --- Headline figures --------------------------------------------------------------------


@dataclass
class Headline:
    premises_count: int
    nhsmail: Counter
    expiring_30: int
    expiring_60: int
    expiring_90: int
    open_requests: int
    oldest_waiting_since: object
    low_on_tokens: int
    without_ready_pharmacist: int


def headline(rows):
    oldest = [row.premises.oldest_raised_at for row in rows if row.premises.oldest_raised_at]
    return Headline(
        premises_count=len(rows),
        nhsmail=Counter(row.nhsmail_status for row in rows),
        expiring_30=sum(row.premises.expiring_30 for row in rows),
        expiring_60=sum(row.premises.expiring_60 for row in rows),
        expiring_90=sum(row.premises.expiring_90 for row in rows),
        open_requests=sum(row.premises.open_requests for row in rows),
        oldest_waiting_since=min(oldest) if oldest else None,
        low_on_tokens=sum(1 for row in rows if row.tokens.is_low),
        without_ready_pharmacist=sum(1 for row in rows if not row.premises.has_ready_pharmacist),
    )


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
    def compliant_percent(self):
        return round(100 * (self.amber + self.green) / self.total) if self.total else None


def nhsmail_trend(premises_queryset, *, today=None, weeks=TREND_WEEKS):
    """NHSmail standing on the same weekday for each of the last `weeks` weeks, from the
    stored daily snapshots: one query."""
    today = today or timezone.localdate()
    days = [today - timedelta(weeks=k) for k in reversed(range(weeks))]
    points = {day: TrendPoint(day) for day in days}
    counts = (
        ComplianceSnapshot.objects.filter(day__in=days, premises__in=premises_queryset.values("pk"))
        .values_list("day", "status")
        .annotate(n=Count("pk"))
    )
    for day, status, n in counts:
        setattr(points[day], status, n)
    return [points[day] for day in days]


def nhsmail_trend_by_region(premises_queryset, *, today=None, weeks=TREND_WEEKS):
    """{region name: [TrendPoint...]} for the regions of the premises: one query."""
    today = today or timezone.localdate()
    days = [today - timedelta(weeks=k) for k in reversed(range(weeks))]
    regions = {}
    counts = (
        ComplianceSnapshot.objects.filter(day__in=days, premises__in=premises_queryset.values("pk"))
        .values_list("premises__region__name", "day", "status")
        .annotate(n=Count("pk"))
    )
    for region, day, status, n in counts:
        points = regions.setdefault(region, {d: TrendPoint(d) for d in days})
        setattr(points[day], status, n)
    return {region: [points[d] for d in days] for region, points in sorted(regions.items())}


@dataclass
class DashboardSummary:
    headline: Headline
    trend: list
    regional_trends: dict


def dashboard_summary(user, *, today=None):
    """(DashboardSummary of the premises the user watches, when it was worked out)."""
    today = today or timezone.localdate()
    premises = dashboard_premises(user)

    def compute():
        return DashboardSummary(
            headline=headline(premises_rows(premises, today=today)),
            trend=nhsmail_trend(premises, today=today),
            regional_trends=nhsmail_trend_by_region(premises, today=today),
        )

    return remembered("summary", premises, (today,), compute)


def regions_of(premises_queryset):
    return Region.objects.filter(pk__in=premises_queryset.values("region_id")).order_by("name")
