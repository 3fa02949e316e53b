"""Unlock and renewal requests, the holder's side: raising (renewals only inside the
certificate renewal window; expired certificates pointed to the RA) and cancelling."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.actions import enforce

from .. import actions, selectors
from ..actions import RequestAction
from ..models import RegistrationAuthority, SmartcardHolder, SmartcardRequest
from ._shared import Action, Kind, Status, _audit, _day, _email, _event, _guard, _lock, _moment

if TYPE_CHECKING:
    from datetime import date

    from accounts.models import Premises, User


def renewal_refusal(holder: SmartcardHolder, today: date | None = None) -> ValidationError | None:
    """Why the card's certificates cannot be renewed locally today (when None): a
    ValidationError, returned not raised, with code "expired" or
    "outside_renewal_window"; None if they can. Certificates renew locally only in the
    renewal window before expiry; once expired only the RA can
    (docs/decisions/0023-smartcards-renewal-window.md)."""
    state = holder.certificate(today)
    if state.is_expired:
        return ValidationError(
            f"The certificates expired on {_day(state.expires_on)}. Once they have expired "
            "only the Registration Authority can repair the card: refer it to the RA.",
            code="expired",
        )
    if not state.in_renewal_window:
        return ValidationError(
            f"Certificates can only be renewed in the {state.window_days} days before they "
            f"expire. These expire on {_day(state.expires_on)}, so they can be renewed from "
            f"{_day(state.window_opens_on)}.",
            code="outside_renewal_window",
        )
    return None


def expired_unlock_warning(
    holder: SmartcardHolder, premises: Premises | None, today: date | None = None
) -> str | None:
    """What to tell whoever asks for an unlock of a card whose certificates have expired,
    or None when they have not. An unlocker can unlock the card, but it will not work
    until the Registration Authority repairs it (DESIGN.md, smartcards), so the person is
    pointed to the RA of the premises' ICB area before the request is sent."""
    state = holder.certificate(today)
    if not state.is_expired:
        return None
    authority = (
        RegistrationAuthority.objects.filter(region_id=premises.region_id).first()
        if premises is not None
        else None
    )
    contact = (
        f"{authority.name}, {authority.main_phone}"
        + (f" (local {authority.local_phone})" if authority.local_phone else "")
        if authority
        else "see the smartcard guidance for their contact details"
    )
    return (
        f"The certificates on this card expired on {_day(state.expires_on)}. Unlocking it "
        f"will not make it work: only the Registration Authority can repair it ({contact})."
    )


@transaction.atomic
def smartcard_request_raise(
    *,
    actor: User,
    holder: SmartcardHolder,
    premises: Premises,
    kind: str,
    urgent: bool = False,
    note: str = "",
    expired_understood: bool = False,
) -> SmartcardRequest:
    """Raise an unlock or renew request for a card, from the holder or their manager.

    A renewal is refused outside the certificate renewal window (renewal_refusal). An
    unlock for a card whose certificates have expired is refused on "expired_understood"
    with the RA's contact (expired_unlock_warning) unless the person has said they
    understand; if sent, the unlocker's request page says so plainly. The note is
    checked by the passcode guard. Raises PermissionDenied when the actor may not act
    for the holder at the premises, ValidationError (field errors) otherwise.
    """
    holder = SmartcardHolder.objects.select_related("user").get(pk=holder.pk)
    if not selectors.can_act_for(actor, holder.user, premises):
        raise PermissionDenied
    if kind not in Kind.values:
        raise ValidationError({"kind": "Select unlock or renew"})
    note = (note or "").strip()
    _guard("note", note, holder.uuid)
    if kind == Kind.RENEW:
        refusal = renewal_refusal(holder)
        if refusal is not None:
            raise ValidationError({"kind": refusal.messages})
    expired_warning = expired_unlock_warning(holder, premises) if kind == Kind.UNLOCK else None
    if expired_warning and not expired_understood:
        raise ValidationError(
            {
                "expired_understood": ValidationError(
                    f"{expired_warning} Tick the box to send the unlock request anyway.",
                    code="certificates_expired",
                )
            }
        )
    existing = (
        SmartcardRequest.objects.filter(
            holder=holder, kind=kind, status__in=SmartcardRequest.ACTIVE
        )
        .select_related("claimed_by")
        .first()
    )
    if existing is not None:
        raise ValidationError(
            {
                "kind": f"There is already an {existing.get_kind_display().lower()} request "
                f"for this card, raised on {_moment(existing.raised_at)}. Follow that one."
            }
        )
    now = timezone.now()
    try:
        with transaction.atomic():
            smartcard_request = SmartcardRequest.objects.create(
                kind=kind,
                holder=holder,
                premises=premises,
                raised_by=actor,
                raised_at=now,
                waiting_since=now,
                urgent=urgent,
                note=note,
            )
    except IntegrityError:
        raise ValidationError(
            {"kind": "There is already a request like this for this card. Follow that one."}
        ) from None
    _event(smartcard_request, Action.RAISED, actor, note, at=now)
    changes = {"kind": kind, "urgent": urgent}
    if expired_warning:
        changes["certificates_expired"] = True
    _audit(actor, "raised", smartcard_request, changes)
    return smartcard_request


@transaction.atomic
def smartcard_request_cancel(
    *, actor: User, smartcard_request: SmartcardRequest, reason: str = ""
) -> SmartcardRequest:
    """Cancel a waiting or claimed request, with an optional reason (checked by the
    passcode guard); the claimer, if another person, is told by email.

    Who may cancel, and when, is smartcards.actions: PermissionDenied for someone with no
    say over it, ValidationError (the reason, with its code) when it is closed already.
    ValidationError too when the reason holds a passcode or the UUID
    (docs/decisions/0021-smartcards-passcode-guard.md)."""
    smartcard_request = _lock(smartcard_request)
    enforce(actions.check(actor, RequestAction.CANCEL, smartcard_request))
    reason = (reason or "").strip()
    _guard("reason", reason, smartcard_request.holder.uuid)
    claimer = smartcard_request.claimed_by if smartcard_request.status == Status.CLAIMED else None
    now = timezone.now()
    smartcard_request.status = Status.CANCELLED
    smartcard_request.closed_by = actor
    smartcard_request.closed_at = now
    smartcard_request.closing_note = reason
    smartcard_request.save()
    _event(smartcard_request, Action.CANCELLED, actor, reason, at=now)
    _audit(
        actor, "cancelled", smartcard_request, {"was_claimed_by": claimer.email if claimer else ""}
    )
    if claimer is not None and claimer.pk != actor.pk and claimer.is_active:
        _email(
            [claimer],
            f"Smartcard request cancelled: {smartcard_request.holder.user.full_name}",
            "smartcards/emails/request_cancelled.txt",
            {"smartcard_request": smartcard_request, "cancelled_by": actor},
        )
    return smartcard_request
