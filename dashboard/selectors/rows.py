"""The premises a person's dashboard covers, and one row per premises of stored standings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils import timezone

from accounts import standings
from accounts.models import Premises, Region
from accounts.permissions import Permission, scope_for

if TYPE_CHECKING:
    from collections.abc import Sequence

    from django.db.models import QuerySet

    from accounts.models import User


def dashboard_premises(user: User) -> QuerySet[Premises]:
    """The premises whose compliance the user may watch: those open today (a premises the
    NHS ODS file shows closed stops counting)."""
    return Premises.objects.filter(
        scope_for(user).premises_filter(Permission.VIEW_COMPLIANCE)
    ).exclude(closed_on__lte=timezone.localdate())


def area_labels() -> dict[str, str]:
    """{area key: label}, in the order pages show the areas."""
    return {a.key: a.label for a in standings.areas()}


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


def regions_of(premises_queryset: QuerySet[Premises]) -> QuerySet[Region]:
    """The ICB areas (Region) the premises are in, by name: the table's region filter."""
    return Region.objects.filter(pk__in=premises_queryset.values("region_id")).order_by("name")
