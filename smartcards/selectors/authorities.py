"""Registration Authorities: one per ICB area."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.models import Region
from accounts.permissions import Permission, scope_for

from ..models import RegistrationAuthority

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.db.models import QuerySet

    from accounts.models import Premises, User


def registration_authorities_for_premises(
    premises_list: Iterable[Premises],
) -> list[RegistrationAuthority]:
    """The Registration Authorities of the premises' ICB areas (at most one per region),
    with region joined: one query. RA contacts are data portal admins keep
    (docs/decisions/0020-smartcards-contacts-and-cover.md)."""
    region_ids = {premises.region_id for premises in premises_list}
    return list(
        RegistrationAuthority.objects.filter(region_id__in=region_ids).select_related("region")
    )


def regions_with_authorities() -> QuerySet[Region]:
    """Every ICB area by name, with its Registration Authority (or none) joined."""
    return Region.objects.select_related("registration_authority").order_by("name")


def region_get(user: User, pk: int) -> Region:
    """One ICB area with its Registration Authority joined, for someone who keeps RA
    contacts (Permission.MANAGE_UNLOCKER_COVER: portal admins). Raises Http404 otherwise."""
    if not scope_for(user).has_permission(Permission.MANAGE_UNLOCKER_COVER):
        raise Http404
    return get_object_or_404(Region.objects.select_related("registration_authority"), pk=pk)
