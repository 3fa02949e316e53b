"""Smartcard requests as one person sees them, for templates.

What may be done comes from `smartcards.actions` alone; this only arranges it for a page,
so no template compares a request's status.
"""

from accounts.permissions import Permission, has_permission

from . import actions
from .models import SmartcardRequest

Status = SmartcardRequest.Status


class RequestPresenter:
    """One request for one viewer.

    `actions`: an accounts.actions.Allowed (`actions.claim`, `actions.why.resolve`);
    `works_queue`: the viewer works this premises' unlock queue; `shows_work`: the "Work
    this request" part of the page applies (they work the queue and it is live);
    `claimed_by_you`; `referred_to_ra`: closed by referral, so the holder needs the RA;
    `why_not_working`: why the viewer cannot take the request on, when they cannot.
    """

    def __init__(self, smartcard_request: SmartcardRequest, user):
        self.smartcard_request = smartcard_request
        self.actions = actions.allowed(user, smartcard_request)
        self.works_queue = has_permission(
            user, Permission.WORK_UNLOCK_QUEUE, smartcard_request.premises
        )
        self.claimed_by_you = (
            smartcard_request.claimed_by_id is not None
            and smartcard_request.claimed_by_id == user.pk
        )

    @property
    def shows_work(self) -> bool:
        return self.works_queue and self.smartcard_request.is_active

    @property
    def referred_to_ra(self) -> bool:
        return self.smartcard_request.status == Status.REFERRED

    @property
    def why_not_working(self) -> str:
        """Empty when the viewer can claim or close it; otherwise the reasons, e.g. "You
        cannot work your own request: ..." or "Already claimed by X on ... Only X, who
        claimed this request, can resolve it."."""
        if self.actions.claim or self.actions.resolve:
            return ""
        why = self.actions.why
        if self.smartcard_request.status == Status.OPEN:
            return why["claim"]
        reasons = [why["claim"], why["resolve"]]
        return " ".join(dict.fromkeys(reasons))


def presented(smartcard_requests, user) -> list[RequestPresenter]:
    """Each request of a page (already fetched, with holder, premises and claimer) for
    the viewer: no queries beyond the viewer's scope."""
    return [RequestPresenter(smartcard_request, user) for smartcard_request in smartcard_requests]
