"""Unlocker cover: who covers each premises, and whether one of them works there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.models import Membership, Premises, UnlockerCover
from accounts.permissions import Permission, scope_for

from ._shared import _count

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import date

    from django.db.models import QuerySet

    from accounts.models import User


def _covers_of(premises_ref, organisation_ref):
    return UnlockerCover.objects.filter(
        Q(premises=premises_ref) | Q(organisation=organisation_ref), unlocker__is_active=True
    )


def with_cover(
    premises_queryset: QuerySet[Premises], today: date | None = None
) -> QuerySet[Premises]:
    """Premises annotated with `unlocker_count` (int: active unlockers covering it, through
    the premises or its organisation) and `unlocker_on_site` (bool: one of them works there
    on `today`, today when None), in the same query."""
    today = today or timezone.localdate()
    covers = _covers_of(OuterRef("pk"), OuterRef("organisation_id"))
    on_site = covers.filter(
        Q(unlocker__memberships__end_date__isnull=True)
        | Q(unlocker__memberships__end_date__gt=today),
        unlocker__memberships__premises=OuterRef("pk"),
        unlocker__memberships__start_date__lte=today,
    )
    return premises_queryset.annotate(
        unlocker_count=_count(covers, "unlocker_id", distinct=True),
        unlocker_on_site=Exists(on_site),
    )


def cover_for_user(user: User, *, without_on_site: bool = False) -> QuerySet[Premises]:
    """Premises whose compliance the user may see, with_cover's annotations and
    organisation joined: no cover first, then cover from elsewhere only, then the rest, by
    name. without_on_site keeps only those with no unlocker working there."""
    premises = Premises.objects.filter(
        scope_for(user).premises_filter(Permission.VIEW_COMPLIANCE)
    ).select_related("organisation")
    premises = with_cover(premises)
    if without_on_site:
        premises = premises.filter(unlocker_on_site=False)
    # No cover first, then cover from elsewhere only, then the rest.
    return premises.order_by("unlocker_count", "unlocker_on_site", "name", "pk")


def can_view_cover(user: User) -> bool:
    """Whoever sees compliance somewhere sees unlocker cover: managers, head office,
    portal admins."""
    return scope_for(user).has_permission(Permission.VIEW_COMPLIANCE)


@dataclass(frozen=True)
class CoverRow:
    premises: Premises
    unlockers: list
    on_site: set

    @property
    def has_cover(self):
        return bool(self.unlockers)

    @property
    def unlocker_on_site(self):
        return bool(self.on_site)


def cover_rows(premises_page: Iterable[Premises], today: date | None = None) -> list[CoverRow]:
    """The unlockers covering each premises of a page (already fetched), in page order,
    unlockers by name, with those working there on `today` (today when None): two
    queries."""
    today = today or timezone.localdate()
    premises_list = list(premises_page)
    ids = {p.pk for p in premises_list}
    organisation_ids = {p.organisation_id for p in premises_list}
    covers = (
        UnlockerCover.objects.filter(
            Q(premises_id__in=ids) | Q(organisation_id__in=organisation_ids),
            unlocker__is_active=True,
        )
        .select_related("unlocker")
        .order_by("unlocker__full_name")
    )
    by_premises, by_organisation = {}, {}
    for cover in covers:
        if cover.premises_id:
            by_premises.setdefault(cover.premises_id, []).append(cover.unlocker)
        else:
            by_organisation.setdefault(cover.organisation_id, []).append(cover.unlocker)
    working = set(
        Membership.objects.current(today)
        .filter(premises_id__in=ids, user__in=[c.unlocker_id for c in covers])
        .values_list("premises_id", "user_id")
    )
    rows = []
    for premises in premises_list:
        unlockers = {
            u.pk: u
            for u in by_premises.get(premises.pk, [])
            + by_organisation.get(premises.organisation_id, [])
        }
        on_site = {pk for pk in unlockers if (premises.pk, pk) in working}
        rows.append(
            CoverRow(
                premises,
                sorted(unlockers.values(), key=lambda u: u.full_name),
                on_site,
            )
        )
    return rows
