"""The premises table: filtering and sorting in SQL over the stored standings, and the
CSV export."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q

from accounts import standings
from accounts.models import Premises

from .rows import area_labels, dashboard_premises

if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from django.db.models import QuerySet

    from accounts.models import User


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
