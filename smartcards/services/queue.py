"""The unlocker's side of a request: claim, release, resolve (unlocked, renewed or
referred to the RA) and decline. Who may, and when, is smartcards.actions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.actions import enforce

from .. import actions, selectors
from ..actions import RequestAction
from ..models import SmartcardHolder
from ._shared import (
    Action,
    Kind,
    Status,
    _audit,
    _day,
    _email,
    _event,
    _guard,
    _lock,
    _people_to_tell,
)
from .requests import renewal_refusal

if TYPE_CHECKING:
    from datetime import date

    from accounts.models import User

    from ..models import SmartcardRequest

OUTCOME_DONE = "done"
OUTCOME_REFERRED = "referred"


@transaction.atomic
def smartcard_request_claim(
    *, actor: User, smartcard_request: SmartcardRequest
) -> SmartcardRequest:
    """Exactly one unlocker holds a request: the row lock makes a second claimer wait,
    then see the first one's claim. Who may claim, and when, is smartcards.actions;
    claiming what the actor already holds changes nothing. Raises PermissionDenied
    outside the actor's queue, ValidationError (the reason, with its code) otherwise
    (docs/decisions/0024-smartcards-request-states.md)."""
    smartcard_request = _lock(smartcard_request)
    verdict = actions.check(actor, RequestAction.CLAIM, smartcard_request)
    if verdict.code == "claimed_by_you":
        return smartcard_request
    enforce(verdict)
    now = timezone.now()
    smartcard_request.status = Status.CLAIMED
    smartcard_request.claimed_by = actor
    smartcard_request.claimed_at = now
    smartcard_request.save()
    _event(smartcard_request, Action.CLAIMED, actor, at=now)
    _audit(actor, "claimed", smartcard_request)
    _email(
        _people_to_tell(smartcard_request),
        f"{actor.full_name} is working on your smartcard request",
        "smartcards/emails/request_claimed.txt",
        {"smartcard_request": smartcard_request},
    )
    return smartcard_request


@transaction.atomic
def smartcard_request_release(
    *, actor: User, smartcard_request: SmartcardRequest
) -> SmartcardRequest:
    """Give a claimed request back to the queue; its wait and escalation clock start again.
    Portal admins can free a stuck claim (smartcards.actions): PermissionDenied outside
    the actor's queue, ValidationError (the reason, with its code) when it is not theirs
    to release."""
    smartcard_request = _lock(smartcard_request)
    enforce(actions.check(actor, RequestAction.RELEASE, smartcard_request))
    released_from = smartcard_request.claimed_by
    now = timezone.now()
    smartcard_request.status = Status.OPEN
    smartcard_request.claimed_by = None
    smartcard_request.claimed_at = None
    # Waiting starts again, and so does the clock for escalation.
    smartcard_request.waiting_since = now
    smartcard_request.escalated_at = None
    smartcard_request.save()
    _event(smartcard_request, Action.RELEASED, actor, at=now)
    _audit(actor, "released", smartcard_request, {"released_from": released_from.email})
    return smartcard_request


@transaction.atomic
def smartcard_request_resolve(
    *,
    actor: User,
    smartcard_request: SmartcardRequest,
    outcome: str,
    note: str,
    identity_checked: bool = False,
    new_expires_on: date | None = None,
) -> SmartcardRequest:
    """Record what the claimer did: unlocked or renewed the card (OUTCOME_DONE, identity
    checked; a renewal inside the renewal window, with the new later expiry date, which is
    stored), or referred it to the RA (OUTCOME_REFERRED). The holder and raiser are told.

    Only the claimer resolves it (smartcards.actions): PermissionDenied outside the
    actor's queue, ValidationError (the reason, with its code) otherwise; and
    ValidationError (outcome, note, identity_checked, new_expires_on) for a missing
    choice, note or date, or a renewal outside the window."""
    smartcard_request = _lock(smartcard_request)
    enforce(actions.check(actor, RequestAction.RESOLVE, smartcard_request))
    holder = smartcard_request.holder
    note = (note or "").strip()
    if outcome not in (OUTCOME_DONE, OUTCOME_REFERRED):
        raise ValidationError({"outcome": "Select what happened"})
    if not note:
        raise ValidationError({"note": "Enter a short note for the holder"})
    _guard("note", note, holder.uuid)
    if outcome == OUTCOME_DONE:
        if not identity_checked:
            raise ValidationError(
                {
                    "identity_checked": "Confirm you checked the holder's identity as your "
                    "Registration Authority's procedure requires"
                }
            )
        if smartcard_request.kind == Kind.RENEW:
            refusal = renewal_refusal(holder)
            if refusal is not None:
                raise ValidationError({"outcome": refusal.messages})
            if new_expires_on is None:
                raise ValidationError(
                    {
                        "new_expires_on": "Enter the new certificate expiry date from Care "
                        "Identity Management"
                    }
                )
            if new_expires_on <= holder.certificate_expires_on:
                raise ValidationError(
                    {
                        "new_expires_on": "The new expiry date must be after the old one, "
                        f"{_day(holder.certificate_expires_on)}"
                    }
                )
    now = timezone.now()
    changes = {"outcome": outcome, "identity_checked": bool(identity_checked)}
    if outcome == OUTCOME_DONE and smartcard_request.kind == Kind.RENEW:
        holder = SmartcardHolder.objects.select_for_update().get(pk=holder.pk)
        changes["certificate_expires_on"] = [
            str(holder.certificate_expires_on),
            str(new_expires_on),
        ]
        holder.certificate_expires_on = new_expires_on
        holder.save(update_fields=["certificate_expires_on", "updated_at"])
    smartcard_request.status = Status.RESOLVED if outcome == OUTCOME_DONE else Status.REFERRED
    smartcard_request.closed_by = actor
    smartcard_request.closed_at = now
    smartcard_request.closing_note = note
    smartcard_request.identity_checked = bool(identity_checked)
    smartcard_request.save()
    action = Action.RESOLVED if outcome == OUTCOME_DONE else Action.REFERRED
    _event(smartcard_request, action, actor, note, at=now)
    _audit(actor, action, smartcard_request, changes)
    _email_closed(smartcard_request)
    return smartcard_request


@transaction.atomic
def smartcard_request_decline(
    *, actor: User, smartcard_request: SmartcardRequest, reason: str
) -> SmartcardRequest:
    """Decline a request the actor has claimed, with the reason told to the holder and
    raiser. Only the claimer declines it (smartcards.actions): PermissionDenied outside
    the actor's queue, ValidationError (the reason, with its code) otherwise; and
    ValidationError ({"reason": ...}) for a blank reason or one holding a passcode."""
    smartcard_request = _lock(smartcard_request)
    enforce(actions.check(actor, RequestAction.DECLINE, smartcard_request))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Enter why you are declining the request"})
    _guard("reason", reason, smartcard_request.holder.uuid)
    now = timezone.now()
    smartcard_request.status = Status.DECLINED
    smartcard_request.closed_by = actor
    smartcard_request.closed_at = now
    smartcard_request.closing_note = reason
    smartcard_request.save()
    _event(smartcard_request, Action.DECLINED, actor, reason, at=now)
    _audit(actor, "declined", smartcard_request)
    _email_closed(smartcard_request)
    return smartcard_request


def _email_closed(smartcard_request):
    authorities = selectors.registration_authorities_for_premises([smartcard_request.premises])
    _email(
        _people_to_tell(smartcard_request),
        f"Your smartcard request: {smartcard_request.outcome_label.lower()}",
        "smartcards/emails/request_closed.txt",
        {
            "smartcard_request": smartcard_request,
            "referred_to_ra": smartcard_request.status == Status.REFERRED,
            "authority": authorities[0] if authorities else None,
        },
    )
