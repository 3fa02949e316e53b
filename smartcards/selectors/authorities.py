"""Registration Authorities: one per ICB area."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.models import Region
from accounts.permissions import Permission, scope_for

from ..models import RegistrationAuthority


def registration_authorities_for_premises(premises_list):
    region_ids = {premises.region_id for premises in premises_list}
    return list(
        RegistrationAuthority.objects.filter(region_id__in=region_ids).select_related("region")
    )


def regions_with_authorities():
    return Region.objects.select_related("registration_authority").order_by("name")


def region_get(user, pk):
    if not scope_for(user).has_permission(Permission.MANAGE_UNLOCKER_COVER):
        raise Http404
    return get_object_or_404(Region.objects.select_related("registration_authority"), pk=pk)
