"""Unlock and renewal requests and their history, scoped to who may see them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q
from django.shortcuts import get_object_or_404

from accounts.permissions import Permission, scope_for

from ..models import SmartcardRequest
from ._shared import ACTIVE

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from accounts.models import Premises, User

    from ..models import SmartcardHolder, SmartcardRequestEvent


def _requests():
    return SmartcardRequest.objects.select_related(
        "holder__user", "premises", "raised_by", "claimed_by", "closed_by"
    )


def requests_for_user(user: User) -> QuerySet[SmartcardRequest]:
    """Requests the user may see: the holder's own, those they raised, and those at premises
    where they may view holders' profiles; every request for a portal admin. Holder, user,
    premises, raiser, claimer and closer joined."""
    scope = scope_for(user)
    if scope.is_portal_admin:
        return _requests()
    return _requests().filter(
        Q(holder__user=user)
        | Q(raised_by=user)
        | scope.premises_filter(Permission.VIEW_HOLDER_PROFILE, prefix="premises__")
    )


def request_get(user: User, pk: int) -> SmartcardRequest:
    """One request from requests_for_user. Raises Http404 for one out of the user's sight."""
    return get_object_or_404(requests_for_user(user), pk=pk)


def requests_for_self(user: User) -> QuerySet[SmartcardRequest]:
    """Requests for the user's own card, newest first, in any state."""
    return _requests().filter(holder__user=user).order_by("-raised_at")


def requests_for_holder(user: User, holder: SmartcardHolder) -> QuerySet[SmartcardRequest]:
    """The holder's requests the user may see (requests_for_user), newest first."""
    return requests_for_user(user).filter(holder=holder).order_by("-raised_at")


def active_requests_at_premises(user: User, premises: Premises) -> QuerySet[SmartcardRequest]:
    """Waiting or claimed requests at the premises the user may see: urgent first, then
    oldest."""
    return (
        requests_for_user(user)
        .filter(premises=premises, status__in=ACTIVE)
        .order_by("-urgent", "raised_at", "pk")
    )


def request_events(smartcard_request: SmartcardRequest) -> QuerySet[SmartcardRequestEvent]:
    """The request's history (raised, claimed, released, closed, escalated), in the model's
    order, with actor joined. The caller has fetched the request through a scoped
    selector."""
    return smartcard_request.events.select_related("actor")
