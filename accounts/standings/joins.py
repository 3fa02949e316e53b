"""Stored standings in SQL: joined onto a premises queryset for filtering, sorting and
exporting, ranked by urgency, and their figures summed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Case, FilteredRelation, IntegerField, Q, Sum, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from ..models import Premises, PremisesStanding
from ._shared import SEVERITY
from .registry import areas

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.db.models import QuerySet


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
