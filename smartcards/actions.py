"""What a person may do with a smartcard request now, and if not, why: in one place.

The states (docs/decisions/0024-smartcards-request-states.md): a request is `open` ->
`claimed` by one unlocker -> `resolved` (unlocked or renewed), `referred` to the RA or
`declined`; or `cancelled`. The actions and who may take them:

- claim: an unlocker covering the premises (WORK_UNLOCK_QUEUE there; portal admins
  everywhere), while the request is open, and never on their own card's request (someone
  else must check their identity). Claiming what you already hold changes nothing.
- resolve, decline: only the unlocker who holds the claim, while it is claimed: one
  person is accountable for what was done in Care Identity Management.
- release: the claimer, or a portal admin freeing a claim held by someone gone home.
- cancel: the holder, whoever raised the request, or a manager of the premises
  (RAISE_UNLOCK_REQUEST_FOR_STAFF there), while it is open or claimed.

`check` answers one action with an `accounts.actions.Verdict`; `allowed` answers them all
for the request page and the queue. Services enforce `check` (smartcards/services/),
views and templates show `allowed`; `has_permission` stays the role question it asks.
"""

import enum

from django.utils import timezone
from django.utils.formats import date_format

from accounts.actions import Allowed, Verdict, allow, forbid, refuse
from accounts.permissions import Permission, has_permission, scope_for

from .models import SmartcardRequest

Status = SmartcardRequest.Status


class RequestAction(enum.StrEnum):
    """The actions on a request, in the order a page offers them."""

    CLAIM = "claim"
    RESOLVE = "resolve"
    DECLINE = "decline"
    RELEASE = "release"
    CANCEL = "cancel"


# The words of the closing actions in a refusal ("Only X ... can resolve it").
_DOING = {RequestAction.RESOLVE: "resolve", RequestAction.DECLINE: "decline"}


def _moment(value):
    return date_format(timezone.localtime(value), "j F Y \\a\\t H:i")


def closed_refusal(action: str, smartcard_request: SmartcardRequest) -> Verdict:
    """The refusal of any action on a closed request: who closed it, when and how
    (code "cancelled" or "closed")."""
    who = smartcard_request.closed_by.full_name if smartcard_request.closed_by else "someone"
    # A request closed with no time kept says so without a dangling "on".
    when = f" on {_moment(smartcard_request.closed_at)}" if smartcard_request.closed_at else ""
    if smartcard_request.status == Status.CANCELLED:
        return refuse(
            action,
            f"{who} cancelled this request{when}. There is nothing left to do.",
            "cancelled",
        )
    return refuse(
        action,
        f"This request is already closed ({smartcard_request.outcome_label.lower()}) by "
        f"{who}{when}.",
        "closed",
    )


def _works_queue(user, smartcard_request):
    return has_permission(user, Permission.WORK_UNLOCK_QUEUE, smartcard_request.premises)


def _claim(user, smartcard_request):
    action = RequestAction.CLAIM
    if not _works_queue(user, smartcard_request):
        return forbid(action)
    if smartcard_request.status == Status.CLAIMED:
        if smartcard_request.claimed_by_id == user.pk:
            return refuse(action, "You have already claimed this request.", "claimed_by_you")
        return refuse(
            action,
            f"Already claimed by {smartcard_request.claimed_by.full_name} on "
            f"{_moment(smartcard_request.claimed_at)}.",
            "already_claimed",
        )
    if smartcard_request.status != Status.OPEN:
        return closed_refusal(action, smartcard_request)
    if smartcard_request.holder.user_id == user.pk:
        return refuse(
            action,
            "You cannot work your own request: another unlocker must check your identity.",
            "own_request",
        )
    return allow(action)


def _close(user, smartcard_request, action):
    """resolve and decline: the claimer's alone."""
    doing = _DOING[action]
    if not _works_queue(user, smartcard_request):
        return forbid(action)
    if smartcard_request.status == Status.OPEN:
        return refuse(action, f"Claim this request before you {doing} it.", "not_claimed")
    if smartcard_request.status != Status.CLAIMED:
        return closed_refusal(action, smartcard_request)
    if smartcard_request.claimed_by_id != user.pk:
        return refuse(
            action,
            f"Only {smartcard_request.claimed_by.full_name}, who claimed this request, can "
            f"{doing} it.",
            "claimed_by_someone_else",
        )
    return allow(action)


def _release(user, smartcard_request):
    action = RequestAction.RELEASE
    if not _works_queue(user, smartcard_request):
        return forbid(action)
    if smartcard_request.status == Status.OPEN:
        return refuse(action, "This request is not claimed.", "not_claimed")
    if smartcard_request.status != Status.CLAIMED:
        return closed_refusal(action, smartcard_request)
    if smartcard_request.claimed_by_id != user.pk and not scope_for(user).is_portal_admin:
        return refuse(
            action,
            f"Only {smartcard_request.claimed_by.full_name}, who claimed this request, can "
            "release it.",
            "claimed_by_someone_else",
        )
    return allow(action)


def may_cancel_any_time(user, smartcard_request: SmartcardRequest) -> bool:
    """Whether the person is one who may cancel this request while it is live: the
    holder, whoever raised it, or someone who raises requests for the premises' staff.
    The cancel page answers 404 to anyone else, whatever the state."""
    return (
        user.pk == smartcard_request.holder.user_id
        or user.pk == smartcard_request.raised_by_id
        or has_permission(
            user, Permission.RAISE_UNLOCK_REQUEST_FOR_STAFF, smartcard_request.premises
        )
    )


def _cancel(user, smartcard_request):
    action = RequestAction.CANCEL
    if not may_cancel_any_time(user, smartcard_request):
        return forbid(action)
    if not smartcard_request.is_active:
        return closed_refusal(action, smartcard_request)
    return allow(action)


_RULES = {
    RequestAction.CLAIM: _claim,
    RequestAction.RESOLVE: lambda user, r: _close(user, r, RequestAction.RESOLVE),
    RequestAction.DECLINE: lambda user, r: _close(user, r, RequestAction.DECLINE),
    RequestAction.RELEASE: _release,
    RequestAction.CANCEL: _cancel,
}


def check(user, action: str, smartcard_request: SmartcardRequest) -> Verdict:
    """May `user` take `action` (a RequestAction) on the request now? The request needs
    its holder, premises and claimer loaded (the selectors' querysets do). Reasons are
    the sentences the person sees; codes: not_permitted (no role for it here: 404 or
    PermissionDenied), own_request, already_claimed, claimed_by_you, not_claimed,
    claimed_by_someone_else, cancelled, closed. No queries beyond the user's scope."""
    return _RULES[RequestAction(action)](user, smartcard_request)


def allowed(user, smartcard_request: SmartcardRequest) -> Allowed:
    """Every action's verdict for the request as `user` sees it: what a page offers."""
    return Allowed(check(user, action, smartcard_request) for action in RequestAction)


def may_work_queue(user) -> bool:
    """Whether the user works an unlock queue anywhere (the queue pages): an unlocker
    covering some premises, or a portal admin."""
    return has_permission(user, Permission.WORK_UNLOCK_QUEUE)
