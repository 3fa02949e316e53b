"""The unlock queue: live requests from the premises the user covers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.shortcuts import get_object_or_404

from accounts.permissions import Permission, scope_for

from ..actions import may_work_queue
from ..models import SmartcardRequest
from ._shared import ACTIVE
from .requests import _requests

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from accounts.models import User

QUEUE_VIEWS = {
    "all": "Everything waiting or claimed",
    "waiting": "Waiting for an unlocker",
    "mine": "Claimed by me",
}


def can_work_queue(user: User) -> bool:
    """Whether the user works an unlock queue anywhere (smartcards.actions decides)."""
    return may_work_queue(user)


def queue_for_user(user: User, show: str = "all") -> QuerySet[SmartcardRequest]:
    """Open and claimed requests from the premises the user covers
    (Permission.WORK_UNLOCK_QUEUE): urgent, then oldest. show is a QUEUE_VIEWS key:
    "waiting" only open ones, "mine" those the user claimed, anything else all
    (docs/decisions/0022-smartcards-queue-and-figures.md)."""
    scope = scope_for(user)
    queue = SmartcardRequest.objects.filter(status__in=ACTIVE).filter(
        scope.premises_filter(Permission.WORK_UNLOCK_QUEUE, prefix="premises__")
    )
    if show == "waiting":
        queue = queue.filter(status=SmartcardRequest.Status.OPEN)
    elif show == "mine":
        queue = queue.filter(claimed_by=user)
    return queue.select_related("holder__user", "premises", "claimed_by").order_by(
        "-urgent", "raised_at", "pk"
    )


def queue_request_get(user: User, pk: int) -> SmartcardRequest:
    """A request the user may work, in any state (so a refusal can say why). Raises Http404
    for one at a premises the user does not cover."""
    scope = scope_for(user)
    return get_object_or_404(
        _requests().filter(
            scope.premises_filter(Permission.WORK_UNLOCK_QUEUE, prefix="premises__")
        ),
        pk=pk,
    )
