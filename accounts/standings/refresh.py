"""Working the standings out and keeping them current: the refresh, the refresh on
commit that services ask for, and the repair on read."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.db import DatabaseError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from ..models import Premises, PremisesStanding, StandingDay
from .registry import Standing, _selected
from .store import _store, tallies_rebuild

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable

    from django.db.models import QuerySet


logger = logging.getLogger(__name__)
# How far back readers look for premises never worked out (see ensure_current).
MISSING_LOOKBACK_DAYS = 2


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
    needing.update(_never_worked_out(premises_queryset, on))
    repair(needing, on=on)


def _never_worked_out(premises_queryset, on):
    """Ids of the premises of a queryset created in the last MISSING_LOOKBACK_DAYS days,
    open on `on`, that have no stored standing at all (see ensure_current)."""
    recent = timezone.now() - timedelta(days=MISSING_LOOKBACK_DAYS)
    return set(
        premises_queryset.order_by()
        .filter(created_at__gte=recent)
        .exclude(closed_on__lte=on)
        .filter(~Exists(PremisesStanding.objects.filter(premises=OuterRef("pk"))))
        .values_list("pk", flat=True)
    )


def needing_repair(
    rows: Iterable[PremisesStanding], premises_ids: Iterable[int], *, on: date
) -> set[int]:
    """Of these premises, whose standing rows (already read) the caller must repair
    before showing them: those with a row marked stale or worked out for a day before
    `on`, and those with no row at all that ensure_current would work out (created
    recently and open). No query unless some premises has no row at all; then one, for
    those premises only."""
    needing, read = set(), set()
    for row in rows:
        read.add(row.premises_id)
        if row.stale or row.worked_out_for < on:
            needing.add(row.premises_id)
    unread = set(premises_ids) - read
    if unread:
        needing |= _never_worked_out(Premises.objects.filter(pk__in=sorted(unread)), on)
    return needing


def repair(premises_ids: Collection[int], *, on: date) -> bool:
    """Work out again and store the standings of these premises for a reader, telling
    nobody (transitions are the job's and the services' to announce). True when it
    stored them; False when there was nothing to do or the refresh failed (logged: the
    page shows the rows it has, marked stale)."""
    if not premises_ids:
        return False
    try:
        standings_refresh(premises_ids=sorted(premises_ids), on=on, hooks=False)
    except DatabaseError:
        logger.exception("standings repair on read failed", extra={"count": len(premises_ids)})
        return False
    return True
