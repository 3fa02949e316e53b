"""The unlock queue: live requests from the premises the user covers."""

from django.shortcuts import get_object_or_404

from accounts.permissions import Permission, scope_for

from ..actions import may_work_queue
from ..models import SmartcardRequest
from ._shared import ACTIVE
from .requests import _requests

QUEUE_VIEWS = {
    "all": "Everything waiting or claimed",
    "waiting": "Waiting for an unlocker",
    "mine": "Claimed by me",
}


def can_work_queue(user):
    """Whether the user works an unlock queue anywhere (smartcards.actions decides)."""
    return may_work_queue(user)


def queue_for_user(user, show="all"):
    """Open and claimed requests from the premises the user covers: urgent, then oldest."""
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


def queue_request_get(user, pk):
    """A request the user may work, in any state (so a refusal can say why), else 404."""
    scope = scope_for(user)
    return get_object_or_404(
        _requests().filter(
            scope.premises_filter(Permission.WORK_UNLOCK_QUEUE, prefix="premises__")
        ),
        pk=pk,
    )
