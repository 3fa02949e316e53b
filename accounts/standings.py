"""Standings: one true picture of each premises, area by area.

Each area owns one standing module that decides, for a set of premises on a day, each
premises' level (accounts.models.StandingLevel: red, amber, green), a reason sentence and
the figures behind it, and holds every threshold that decision uses:

    nhsmail/rules.py        the shared-mailbox rule
    smartcards/standing.py  expired certificates, urgent and open requests, cover
    eps/standing.py         days of cover, low stock, overdue orders, PCSE orderers
    records/standing.py     an SCR-ready pharmacist, training due a refresh

Areas register with this module when Django starts (their AppConfig.ready), so accounts
never imports an area. This module keeps the results in PremisesStanding (the current
standing, one row per premises and area) and StandingDay (one row per premises, area and
day: the trends), and every reader (dashboard, table, export, API, digest, home panels,
area pages, status tags) reads those rows, so no two pages can disagree about a premises.

They are kept current three ways:
- services call `refresh_on_commit(premises_ids)` for what they touched: the rows are
  marked stale inside the service's transaction and worked out again once it commits;
- the daily job (`standings_refresh()` for every premises) for what changes with time
  alone (30/60-day NHSmail confirmation, certificate windows, days of cover);
- readers call `ensure_current(premises)`, which works out again any standing marked
  stale or worked out for an earlier day, and any premises created in the last two
  days that has none, so a premises never shows a picture older than today even when
  the job has not run. A refresh that fails leaves
  its rows stale; pages say so and the next refresh repairs them.

docs/decisions/0026-standings.md records the choice.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import EmptyResultSet
from django.db import DatabaseError, connection, transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from .models import Premises, PremisesStanding, StandingDay, StandingLevel, StandingTally

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable
    from typing import Any, TypeVar

    from django.db.models import QuerySet

    from .models import User

    T = TypeVar("T")

logger = logging.getLogger(__name__)

Level = StandingLevel
RED, AMBER, GREEN = Level.RED, Level.AMBER, Level.GREEN
# Most urgent first: sorting by an area puts red premises at the top.
SEVERITY = {RED: 0, AMBER: 1, GREEN: 2}
# NHS.UK tag colours for the three levels: the one place a level becomes a colour.
TAG_COLOURS = {RED: "red", AMBER: "orange", GREEN: "green"}
STALE_TAG_COLOUR = "grey"
# How far back readers look for premises never worked out (see ensure_current).
MISSING_LOOKBACK_DAYS = 2


@dataclass(frozen=True)
class Standing:
    """What an area's standing module says of one premises on one day.

    level: a StandingLevel value. reason: one sentence, saying why for anything short of
    green and what stands behind it for green. figures: the numbers behind it, JSON-able
    (ints, bools, strings, None), keyed by the names the area module documents.
    """

    level: str
    reason: str
    figures: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Area:
    """An area's standing, as it registers itself.

    work_out(premises_queryset, on) -> {premises_id: Standing} for every premises of the
    queryset, in a fixed number of queries. after_refresh(standings, on, notify), when
    given, runs in the refresh's transaction after the rows are stored (the NHSmail area
    uses it to record transitions and tell people). leaving_effect(premises, user, on),
    when given, says what the person leaving the premises on day `on` would do to the
    area's standing there: a LeavingEffect, or None when it changes nothing worth saying.
    """

    key: str
    label: str
    position: int
    work_out: Callable
    # The URL name of the area's page for one premises (takes the premises pk).
    premises_page: str = ""
    level_labels: dict = field(default_factory=lambda: dict(Level.choices))
    after_refresh: Callable | None = None
    leaving_effect: Callable | None = None

    def label_for(self, level):
        return self.level_labels[level]


@dataclass(frozen=True)
class LeavingEffect:
    """What a membership ending does to one area at its premises, in a sentence
    ("Calder Pharmacy will have one live linked NHSmail account: not compliant");
    breaks_rule when the premises would drop to red because of it."""

    area: str
    sentence: str
    breaks_rule: bool


def leaving_effects(premises: Premises, user: User, on: date) -> list[LeavingEffect]:
    """Every registered area's LeavingEffect of `user` leaving `premises` on day `on`,
    in page order: for the page that ends a membership, before it is confirmed."""
    effects = []
    for registered in areas():
        if registered.leaving_effect is not None:
            effect = registered.leaving_effect(premises, user, on)
            if effect is not None:
                effects.append(effect)
    return effects


_AREAS: dict[str, Area] = {}


def register(area: Area) -> None:
    """Add an area's standing; each area calls it from its AppConfig.ready. A second
    registration under the same key replaces the first."""
    _AREAS[area.key] = area


def areas() -> list[Area]:
    """The registered areas, in the order pages show them."""
    return sorted(_AREAS.values(), key=lambda area: area.position)


def area(key: str) -> Area:
    """The registered Area for a key; KeyError for one that is not registered."""
    return _AREAS[key]


def _selected(area_keys):
    if area_keys is None:
        return areas()
    return [area(key) for key in area_keys]


def _premises(premises_ids, on=None):
    """The premises asked for that are open on `on`: a premises closed on or before it
    (its close date from the NHS ODS pharmacy file) stops counting."""
    premises = Premises.objects.all()
    if premises_ids is not None:
        premises = premises.filter(pk__in=list(premises_ids))
    if on is not None:
        premises = premises.exclude(closed_on__lte=on)
    return premises


def _forget_closed(premises_ids, on):
    """Drop the current standing and the day's history of premises closed by `on`."""
    closed = Premises.objects.filter(closed_on__lte=on)
    if premises_ids is not None:
        closed = closed.filter(pk__in=list(premises_ids))
    PremisesStanding.objects.filter(premises__in=closed).delete()
    StandingDay.objects.filter(premises__in=closed, day=on).delete()


# --- Working out and storing ------------------------------------------------------------


def standings_work_out(
    premises_ids: Iterable[int] | None = None,
    *,
    areas: Iterable[str] | None = None,
    on: date | None = None,
) -> dict[str, dict[int, Standing]]:
    """Every area's standing of the premises, worked out fresh and not stored:
    {area key: {premises_id: Standing}}. Without premises_ids, every premises; without
    areas, every registered area (KeyError for a key not registered); on: today when None.
    Premises closed on or before `on` are left out."""
    on = on or timezone.localdate()
    premises = _premises(premises_ids, on)
    return {a.key: a.work_out(premises, on) for a in _selected(areas)}


@transaction.atomic
def standings_refresh(
    *,
    premises_ids: Iterable[int] | None = None,
    areas: Iterable[str] | None = None,
    on: date | None = None,
    notify: bool = True,
    hooks: bool = True,
) -> dict[str, dict[int, Standing]]:
    """Work out and store the standings of the premises (every premises when
    premises_ids is None) in the given areas (all when None), with the day's history row.

    Set-based: per area, the area's own fixed number of queries; then, on PostgreSQL, one
    statement upserting every area's current rows and the day's history (elsewhere, two
    upserts per area and 2,000 rows); then the day's tallies of the organisations
    concerned. Premises closed on or before `on` are left out and their stored standing
    and day's history dropped, so a closed premises stops counting. Safe to run twice: a
    second run stores the same rows. notify=False records standings without telling
    anyone (loading demo or scale data); hooks=False stores them only, leaving the areas'
    after_refresh (NHSmail transitions and their emails) to the next refresh that runs
    them, as repairs made while someone reads a page do. Returns
    {area key: {premises_id: Standing}}.
    """
    on = on or timezone.localdate()
    now = timezone.now()
    premises = _premises(premises_ids, on)
    _forget_closed(premises_ids, on)
    chosen = _selected(areas)
    results = {a.key: a.work_out(premises, on) for a in chosen}
    _store(results, on, now)
    for a in chosen:
        if hooks and a.after_refresh is not None:
            a.after_refresh(results[a.key], on, notify)
    organisations = (
        None if premises_ids is None else _premises(premises_ids).values("organisation_id")
    )
    tallies_rebuild(days=[on], areas=list(results), organisations=organisations)
    return results


def tallies_rebuild(
    *,
    days: Iterable[date] | None = None,
    areas: Iterable[str] | None = None,
    organisations: Iterable[int] | QuerySet[Any] | None = None,
) -> None:
    """Sum StandingDay into StandingTally again for these days, areas and organisations
    (ids, or a query giving them; all when None): one delete and one grouped insert. For
    whoever writes history other than through standings_refresh (demo history, a
    restore)."""
    history = StandingDay.objects.all()
    tallies = StandingTally.objects.all()
    if days is not None:
        history, tallies = history.filter(day__in=days), tallies.filter(day__in=days)
    if areas is not None:
        history, tallies = history.filter(area__in=areas), tallies.filter(area__in=areas)
    if organisations is not None:
        history = history.filter(premises__organisation_id__in=organisations)
        tallies = tallies.filter(organisation_id__in=organisations)
    tallies.delete()
    # Summed in the database: INSERT ... SELECT of the ORM's own grouped query, so the
    # rows never come through Python (a national day is tens of thousands of them).
    summed = (
        history.values_list(
            "premises__organisation_id", "premises__region_id", "area", "day", "level"
        )
        .annotate(count=Count("pk"))
        .order_by()
    )
    try:
        select, params = summed.query.sql_with_params()
    except EmptyResultSet:  # nothing asked for: no day, area or organisation
        return
    table = StandingTally._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (organisation_id, region_id, area, day, level, "
            f"premises_count) {select}",
            params,
        )


def _store(results, on, now):
    """Upsert each area's current standings and the day's history row of each premises.
    results: {area key: {premises_id: Standing}}."""
    if not any(results.values()):
        return
    if connection.vendor == "postgresql":
        _store_postgresql(results, on, now)
        return
    for area_key, standings in results.items():
        PremisesStanding.objects.bulk_create(
            [
                PremisesStanding(
                    premises_id=premises_id,
                    area=area_key,
                    level=standing.level,
                    reason=standing.reason[:REASON_LENGTH],
                    figures=standing.figures,
                    worked_out_for=on,
                    worked_out_at=now,
                    stale=False,
                )
                for premises_id, standing in standings.items()
            ],
            update_conflicts=True,
            unique_fields=["premises", "area"],
            update_fields=[
                "level",
                "reason",
                "figures",
                "worked_out_for",
                "worked_out_at",
                "stale",
            ],
            batch_size=2000,
        )
        StandingDay.objects.bulk_create(
            [
                StandingDay(premises_id=premises_id, area=area_key, day=on, level=standing.level)
                for premises_id, standing in standings.items()
            ],
            update_conflicts=True,
            unique_fields=["premises", "area", "day"],
            update_fields=["level"],
            batch_size=2000,
        )


REASON_LENGTH = PremisesStanding._meta.get_field("reason").max_length

# One statement on PostgreSQL: every area's rows travel as one JSON document, which
# jsonb_to_recordset turns back into rows, and both upserts read them. A national refresh
# sends its 48,000 rows once and writes them in one pass over each table, instead of
# sending two multi-row VALUES lists per area in batches (bulk_create's form, which the
# other databases keep). Rows are written in (premises, area) order, the order every
# refresh locks them in, so two refreshes of overlapping premises never deadlock.
_UPSERT_POSTGRESQL = f"""
WITH given AS (
    SELECT * FROM jsonb_to_recordset(%(rows)s::jsonb)
        AS g (premises_id bigint, area text, level text, reason text, figures jsonb)
), current AS (
    INSERT INTO {PremisesStanding._meta.db_table}
        (premises_id, area, level, reason, figures, worked_out_for, worked_out_at, stale)
    SELECT premises_id, area, level, reason, figures, %(on)s, %(now)s, false
    FROM given ORDER BY premises_id, area
    ON CONFLICT (premises_id, area) DO UPDATE SET
        level = EXCLUDED.level, reason = EXCLUDED.reason, figures = EXCLUDED.figures,
        worked_out_for = EXCLUDED.worked_out_for, worked_out_at = EXCLUDED.worked_out_at,
        stale = EXCLUDED.stale
)
INSERT INTO {StandingDay._meta.db_table} (premises_id, area, day, level)
SELECT premises_id, area, %(on)s, level FROM given ORDER BY premises_id, area
ON CONFLICT (premises_id, area, day) DO UPDATE SET level = EXCLUDED.level
"""


def _store_postgresql(results, on, now):
    rows = json.dumps(
        [
            {
                "premises_id": premises_id,
                "area": area_key,
                "level": standing.level,
                "reason": standing.reason[:REASON_LENGTH],
                "figures": standing.figures,
            }
            for area_key, standings in results.items()
            for premises_id, standing in standings.items()
        ],
        cls=PremisesStanding._meta.get_field("figures").encoder,
    )
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT_POSTGRESQL, {"rows": rows, "on": on, "now": now})


def standings_mark_stale(
    premises_ids: Iterable[int], *, areas: Iterable[str] | None = None
) -> None:
    """Mark the stored standings of these premises stale, in these areas (all when None):
    one UPDATE."""
    rows = PremisesStanding.objects.filter(premises_id__in=list(premises_ids))
    if areas is not None:
        rows = rows.filter(area__in=list(areas))
    rows.update(stale=True)


def refresh_on_commit(premises_ids: Iterable[int], *, areas: Collection[str] | None = None) -> None:
    """For services: the premises' standings depend on what this transaction changes.

    Marks them stale now, in the caller's transaction, and works them out again once it
    commits. If that refresh fails (the database went away), the change has still
    committed and the rows stay stale until a reader or the daily job repairs them.
    Two queries now; the refresh's fixed number after commit.
    """
    premises_ids = sorted(set(premises_ids))
    if not premises_ids:
        return
    standings_mark_stale(premises_ids, areas=areas)
    transaction.on_commit(lambda: _refresh_after_commit(premises_ids, areas))


def _refresh_after_commit(premises_ids, areas):
    try:
        standings_refresh(premises_ids=premises_ids, areas=areas)
    except DatabaseError:
        logger.exception(
            "standings refresh failed; left stale for the next refresh",
            extra={"premises_ids": premises_ids[:50]},
        )


def ensure_current(premises_queryset: QuerySet[Premises], *, on: date | None = None) -> None:
    """Work out again every standing of these premises that is stale, from an earlier
    day, or missing altogether, so what a page reads next is today's. Two small indexed
    queries when all is current (the usual case); a refresh of just the premises that
    need one otherwise. A refresh that fails is logged and the page shows the rows it
    has, marked stale.

    A premises with no rows at all is one created since the daily job last ran whose
    refresh on commit failed (or one made past the services, as test factories do), so
    only premises created in the last MISSING_LOOKBACK_DAYS days are looked for: the
    daily job covers every premises, and `manage.py standings_rebuild` covers a database
    that never had standings (after the deploy that brings them) or a new area.
    """
    on = on or timezone.localdate()
    scope = premises_queryset.order_by().values("pk")
    needing = set(
        PremisesStanding.objects.filter(premises__in=scope)
        .filter(Q(stale=True) | Q(worked_out_for__lt=on))
        .values_list("premises_id", flat=True)
        .distinct()
    )
    recent = timezone.now() - timedelta(days=MISSING_LOOKBACK_DAYS)
    needing.update(
        premises_queryset.order_by()
        .filter(created_at__gte=recent)
        .exclude(closed_on__lte=on)
        .filter(~Exists(PremisesStanding.objects.filter(premises=OuterRef("pk"))))
        .values_list("pk", flat=True)
    )
    if not needing:
        return
    try:
        # A page being read stores what it needs and tells nobody: transitions are the
        # job's and the services' to announce.
        standings_refresh(premises_ids=sorted(needing), on=on, hooks=False)
    except DatabaseError:
        logger.exception("standings repair on read failed", extra={"count": len(needing)})


# --- Reading ---------------------------------------------------------------------------


def joined(area_key: str) -> str:
    """The name join_standings gives an area's standing row: filter on
    f"{joined(key)}__level", or on its figures with f"{joined(key)}__figures__<name>"."""
    return f"standing_{area_key}"


def join_standings(
    premises_queryset: QuerySet[Premises], area_keys: Iterable[str] | None = None
) -> QuerySet[Premises]:
    """The queryset with each area's stored standing row joined (LEFT JOIN on the
    (premises, area) unique index) as joined(area key), for filtering, sorting and
    exporting in SQL. Every registered area when area_keys is None."""
    keys = [a.key for a in areas()] if area_keys is None else list(area_keys)
    return premises_queryset.alias(
        **{
            joined(key): FilteredRelation("standings", condition=Q(standings__area=key))
            for key in keys
        }
    )


def urgency(area_key: str) -> Case:
    """An expression ranking a joined standing, most urgent (red) first, none last: an
    integer, 0 for red, 1 amber, 2 green, 3 no stored standing. Use on a queryset from
    join_standings."""
    return Case(
        *(
            When(**{f"{joined(area_key)}__level": level}, then=Value(rank))
            for level, rank in SEVERITY.items()
        ),
        default=Value(len(SEVERITY)),
        output_field=IntegerField(),
    )


def figure_totals(
    premises_queryset: QuerySet[Premises], area_key: str, names: Iterable[str]
) -> dict[str, int]:
    """{name: sum of that stored figure over the premises} for an area: one query. Sums
    per premises, as every page that lists premises shows them. A figure no premises has
    sums to 0."""
    totals = PremisesStanding.objects.filter(
        area=area_key, premises__in=premises_queryset.order_by().values("pk")
    ).aggregate(**{name: Sum(Cast(KT(f"figures__{name}"), IntegerField())) for name in names})
    return {name: value or 0 for name, value in totals.items()}


@dataclass(frozen=True)
class StoredStanding:
    """A stored standing, as readers show it."""

    area: Area
    level: str
    reason: str
    figures: dict
    worked_out_at: datetime | None
    worked_out_for: date | None
    stale: bool

    @property
    def label(self):
        return self.area.label_for(self.level)

    @property
    def tag_colour(self):
        return TAG_COLOURS[self.level]

    @property
    def severity(self):
        return SEVERITY[self.level]

    @property
    def is_best(self):
        return self.level == GREEN

    def __getitem__(self, name):
        """standing["stock"], or {{ standing.stock }} in a template: a figure. KeyError
        for a figure the area does not give, so templates fall back to attributes."""
        return self.figures[name]


def _stored(row):
    return StoredStanding(
        area=area(row.area),
        level=row.level,
        reason=row.reason,
        figures=row.figures,
        worked_out_at=row.worked_out_at,
        worked_out_for=row.worked_out_for,
        stale=row.stale,
    )


def stored_standing(row: PremisesStanding) -> StoredStanding:
    """The StoredStanding readers show for one PremisesStanding row already read."""
    return _stored(row)


def stored_standings(premises_ids: Iterable[int]) -> dict[int, dict[str, StoredStanding]]:
    """{premises_id: {area key: StoredStanding}} for these premises: one query. A premises
    or area with no stored row is absent; call ensure_current first."""
    result = {}
    rows = PremisesStanding.objects.filter(
        premises_id__in=list(premises_ids), area__in=list(_AREAS)
    )
    for row in rows:
        result.setdefault(row.premises_id, {})[row.area] = _stored(row)
    return result


def attach(
    objects: Iterable[T],
    area_key: str,
    *,
    premises_id: Callable[[T], int] = lambda obj: obj.pk,
    ensure: bool = True,
) -> list[T]:
    """Set `.standing` on each object (a premises, or anything premises_id maps to one)
    to its premises' stored standing in an area, making missing or stale ones current
    first unless the caller already has (ensure=False): a fixed number of queries.
    Returns the objects, as a list; `.standing` is None where no row is stored."""
    objects = list(objects)
    ids = [premises_id(obj) for obj in objects]
    if ensure:
        ensure_current(Premises.objects.filter(pk__in=ids))
    stored = stored_standings(ids)
    for obj, pk in zip(objects, ids, strict=True):
        obj.standing = stored.get(pk, {}).get(area_key)
    return objects


def standings_of(premises: Premises, *, on: date | None = None) -> dict[str, StoredStanding]:
    """{area key: StoredStanding} of one premises, made current first. At most three
    queries when current."""
    ensure_current(Premises.objects.filter(pk=premises.pk), on=on)
    return stored_standings([premises.pk]).get(premises.pk, {})


def standing_of(
    premises: Premises, area_key: str, *, on: date | None = None
) -> StoredStanding | None:
    """One area's StoredStanding of one premises, made current first; None when the area
    has no stored row for it (a closed premises)."""
    return standings_of(premises, on=on).get(area_key)
