"""What a person may do with an NHSmail account request or a personal account now, and
if not, why: in one place.

New-starter account requests (docs/decisions/0027-nhsmail-new-starter-requests.md) move
requested -> submitted for registration -> account live. A manager or head office of the
premises (MANAGE_NHSMAIL there) moves them: "submit" from requested, "mark live" from
submitted. A request already moved on says who moved it and when.

A personal account is confirmed in use (which keeps it counting for the shared-mailbox
rule, nhsmail/rules.py) by its holder, or by someone with MANAGE_NHSMAIL at a premises
where the holder works now, and only while it is recorded as live.

`check_request` / `allowed_request` and `check_account` / `allowed_account` answer with
`accounts.actions` verdicts; the services enforce them, views and templates show them.
"""

import enum

from django.utils import timezone

from accounts.actions import Allowed, Verdict, allow, forbid, refuse
from accounts.models import Membership, Premises
from accounts.permissions import Permission, has_permission

from .models import AccountRequest, PersonalAccount

RequestStatus = AccountRequest.Status


class RequestAction(enum.StrEnum):
    SUBMIT = "submit"
    MARK_LIVE = "mark_live"


class AccountAction(enum.StrEnum):
    CONFIRM = "confirm"


def _already(action, account_request):
    """The refusal when a request has moved past the step: the stage it reached, who
    moved it and when (code "already")."""
    if account_request.status == RequestStatus.LIVE:
        who, when = account_request.completed_by, account_request.completed_at
        done = "marked live"
    else:
        who, when = account_request.submitted_by, account_request.submitted_at
        done = "marked as submitted for registration"
    by = f" by {who.full_name}" if who else ""
    at = f" on {timezone.localtime(when):%-d %B %Y at %H:%M}" if when else ""
    return refuse(
        action, f"{account_request.user.full_name}'s request was already {done}{by}{at}.", "already"
    )


def check_request(user, action: str, account_request: AccountRequest) -> Verdict:
    """May `user` take `action` (a RequestAction) on the new-starter request now? Codes:
    not_permitted (no MANAGE_NHSMAIL at its premises), already (moved past this step),
    not_submitted (mark live before it was submitted). No queries beyond the user's
    scope and the request's people."""
    action = RequestAction(action)
    if not has_permission(user, Permission.MANAGE_NHSMAIL, account_request.premises):
        return forbid(action)
    status = account_request.status
    if action == RequestAction.SUBMIT and status != RequestStatus.REQUESTED:
        return _already(action, account_request)
    if action == RequestAction.MARK_LIVE:
        if status == RequestStatus.LIVE:
            return _already(action, account_request)
        if status != RequestStatus.SUBMITTED:
            return refuse(
                action, "Mark the request as submitted for registration first.", "not_submitted"
            )
    return allow(action)


def allowed_request(user, account_request: AccountRequest) -> Allowed:
    return Allowed(check_request(user, action, account_request) for action in RequestAction)


def may_edit_account_of(actor, person) -> bool:
    """A person edits their own account; whoever holds MANAGE_NHSMAIL at a premises where
    the person works now edits theirs (managers, head office, portal admins). One query
    for someone else's account."""
    if actor.pk == person.pk:
        return True
    works_at = Membership.objects.current().filter(user=person).values("premises_id")
    return any(
        has_permission(actor, Permission.MANAGE_NHSMAIL, premises)
        for premises in Premises.objects.filter(pk__in=works_at)
    )


def check_account(
    user, action: str, account: PersonalAccount, *, may_edit: bool | None = None
) -> Verdict:
    """May `user` confirm the account in use now? `may_edit`: whether they may edit the
    holder's account, when the caller already knows (a premises page knows its managers
    may edit its staff's); worked out otherwise. Codes: not_permitted, not_live."""
    action = AccountAction(action)
    if may_edit is None:
        may_edit = may_edit_account_of(user, account.user)
    if not may_edit:
        return forbid(action)
    if account.status != PersonalAccount.Status.LIVE:
        return refuse(
            action,
            f"This account is recorded as {account.get_status_display().lower()}, not live. "
            "Update its status first.",
            "not_live",
        )
    return allow(action)


def allowed_account(user, account: PersonalAccount, *, may_edit: bool | None = None) -> Allowed:
    return Allowed(
        check_account(user, action, account, may_edit=may_edit) for action in AccountAction
    )
