"""Unlock and renewal requests and their history, scoped to who may see them."""

from django.db.models import Q
from django.shortcuts import get_object_or_404

from accounts.permissions import Permission, scope_for

from ..models import SmartcardRequest
from ._shared import ACTIVE


def _requests():
    return SmartcardRequest.objects.select_related(
        "holder__user", "premises", "raised_by", "claimed_by", "closed_by"
    )


def requests_for_user(user):
    scope = scope_for(user)
    if scope.is_portal_admin:
        return _requests()
    return _requests().filter(
        Q(holder__user=user)
        | Q(raised_by=user)
        | scope.premises_filter(Permission.VIEW_HOLDER_PROFILE, prefix="premises__")
    )


def request_get(user, pk):
    return get_object_or_404(requests_for_user(user), pk=pk)


def requests_for_self(user):
    return _requests().filter(holder__user=user).order_by("-raised_at")


def requests_for_holder(user, holder):
    return requests_for_user(user).filter(holder=holder).order_by("-raised_at")


def active_requests_at_premises(user, premises):
    return (
        requests_for_user(user)
        .filter(premises=premises, status__in=ACTIVE)
        .order_by("-urgent", "raised_at", "pk")
    )


def request_events(smartcard_request):
    return smartcard_request.events.select_related("actor")
