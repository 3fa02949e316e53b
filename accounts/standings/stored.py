"""Reading stored standings as pages show them, made current first."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from ..models import Premises, PremisesStanding
from ._shared import GREEN, SEVERITY, TAG_COLOURS
from .refresh import needing_repair, repair
from .registry import _AREAS, Area, area

if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import TypeVar

    T = TypeVar("T")


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


def _read(premises_ids):
    return list(
        PremisesStanding.objects.filter(premises_id__in=list(premises_ids), area__in=list(_AREAS))
    )


def _by_premises(rows):
    result = {}
    for row in rows:
        result.setdefault(row.premises_id, {})[row.area] = _stored(row)
    return result


def stored_standings(premises_ids: Iterable[int]) -> dict[int, dict[str, StoredStanding]]:
    """{premises_id: {area key: StoredStanding}} for these premises: one query. A premises
    or area with no stored row is absent; call ensure_current first, or read them with
    current_standings."""
    return _by_premises(_read(premises_ids))


def current_standings(
    premises_ids: Iterable[int], *, on: date | None = None
) -> dict[int, dict[str, StoredStanding]]:
    """{premises_id: {area key: StoredStanding}} for these premises, in every area, made
    current first, for a page that shows a few premises: one query when every row is
    current (the usual case), since the rows read say themselves whether they are stale
    or from an earlier day. Premises needing repair (as ensure_current finds them) are
    worked out again and read once more; a premises with no row at all costs one query
    to see whether it is a new one. A premises or area with no stored row is absent (a
    closed premises)."""
    on = on or timezone.localdate()
    premises_ids = list(premises_ids)
    rows = _read(premises_ids)
    if repair(needing_repair(rows, premises_ids, on=on), on=on):
        rows = _read(premises_ids)
    return _by_premises(rows)


def attach(
    objects: Iterable[T],
    area_key: str,
    *,
    premises_id: Callable[[T], int] = lambda obj: obj.pk,
    ensure: bool = True,
) -> list[T]:
    """Set `.standing` on each object (a premises, or anything premises_id maps to one)
    to its premises' stored standing in an area, making missing or stale ones current
    first unless the caller already has (ensure=False): one query when all is current.
    Returns the objects, as a list; `.standing` is None where no row is stored."""
    objects = list(objects)
    ids = [premises_id(obj) for obj in objects]
    stored = current_standings(ids) if ensure else stored_standings(ids)
    for obj, pk in zip(objects, ids, strict=True):
        obj.standing = stored.get(pk, {}).get(area_key)
    return objects


def standings_of(premises: Premises, *, on: date | None = None) -> dict[str, StoredStanding]:
    """{area key: StoredStanding} of one premises, made current first: one query when
    current."""
    return current_standings([premises.pk], on=on).get(premises.pk, {})


def standing_of(
    premises: Premises, area_key: str, *, on: date | None = None
) -> StoredStanding | None:
    """One area's StoredStanding of one premises, made current first; None when the area
    has no stored row for it (a closed premises)."""
    return standings_of(premises, on=on).get(area_key)
