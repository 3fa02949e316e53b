"""Token orders: draft -> placed on PCSE Online -> received, or cancelled; chases."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.actions import enforce
from accounts.permissions import Permission

from .. import actions
from ..actions import OrderAction
from ..models import OrderEscalation, StockMovement, TokenOrder
from ..validators import MAX_TOKENS, normalise_pcse_reference, validate_pcse_reference
from ._shared import (
    Kind,
    Status,
    _audit,
    _check_recent_date,
    _check_tokens,
    _end_episode_if_recovered,
    _fmt,
    _lock_order,
    _lock_settings,
    _require,
)

if TYPE_CHECKING:
    from datetime import date

    from accounts.models import Premises, User


@transaction.atomic
def token_order_draft(*, actor: User, premises: Premises, packs: int) -> TokenOrder:
    """Anyone on the team who sees the stock may ask for an order; placing it on PCSE
    Online is for the managers and the premises' PCSE orderers. A draft of `packs` packs
    of the premises' pack size.

    Raises PermissionDenied without Permission.VIEW_TOKENS there, and ValidationError
    ({"packs": ...}) for fewer than 1 pack or more than MAX_TOKENS tokens."""
    _require(actor, Permission.VIEW_TOKENS, premises)
    settings_row = _lock_settings(premises)
    _check_tokens("packs", packs, noun="packs")
    if packs * settings_row.pack_size > MAX_TOKENS:
        raise ValidationError(
            {
                "packs": f"{packs:,} packs of {settings_row.pack_size:,} is more than "
                f"{MAX_TOKENS:,} tokens. Check the number of packs."
            }
        )
    order = TokenOrder.objects.create(
        premises=premises, packs=packs, pack_size=settings_row.pack_size, requested_by=actor
    )
    _audit(
        actor=actor,
        action="tokens.order_drafted",
        obj=order,
        premises=premises,
        changes={"packs": packs, "pack_size": order.pack_size},
    )
    return order


def _check_expected_delivery(expected_delivery_on, placed_on):
    if expected_delivery_on is not None and expected_delivery_on < placed_on:
        raise ValidationError(
            {
                "expected_delivery_on": "The expected delivery date must be on or after the "
                f"date the order was placed, {_fmt(placed_on)}"
            }
        )


@transaction.atomic
def token_order_place(
    *,
    actor: User,
    order: TokenOrder,
    pcse_reference: str,
    placed_on: date,
    expected_delivery_on: date | None = None,
) -> TokenOrder:
    """Record that the order was placed on PCSE Online, with PCSE's reference. Who may,
    and from which state, is eps.actions (PermissionDenied, or ValidationError with the
    reason); the reference is checked and must be new for the premises
    (docs/decisions/0009-eps-pcse-reference.md). ValidationError too for dates in the
    future, more than MAX_BACKDATE_DAYS days back, or delivery before placing."""
    _lock_settings(order.premises)
    order = _lock_order(order)
    enforce(actions.check(actor, OrderAction.PLACE, order))
    reference = normalise_pcse_reference(pcse_reference)
    try:
        validate_pcse_reference(reference)
    except ValidationError as error:
        raise ValidationError({"pcse_reference": error.messages}) from None
    duplicate = (
        TokenOrder.objects.filter(premises=order.premises, pcse_reference=reference)
        .exclude(pk=order.pk)
        .first()
    )
    if duplicate:
        raise ValidationError(
            {"pcse_reference": f"Reference {reference} is already recorded on another order"}
        )
    today = timezone.localdate()
    _check_recent_date("placed_on", placed_on, today, "date the order was placed")
    _check_expected_delivery(expected_delivery_on, placed_on)
    order.status = Status.PLACED
    order.pcse_reference = reference
    order.placed_on = placed_on
    order.placed_by = actor
    order.expected_delivery_on = expected_delivery_on
    order.save()
    _audit(
        actor=actor,
        action="tokens.order_placed",
        obj=order,
        premises=order.premises,
        changes={
            "pcse_reference": reference,
            "placed_on": placed_on.isoformat(),
            "expected_delivery_on": expected_delivery_on.isoformat()
            if expected_delivery_on
            else None,
        },
    )
    return order


@transaction.atomic
def token_order_expected_delivery_set(
    *, actor: User, order: TokenOrder, expected_delivery_on: date
) -> TokenOrder:
    """Record when PCSE expects to deliver a placed order (eps.actions decides who and
    when), within a year of placing it."""
    order = _lock_order(order)
    enforce(actions.check(actor, OrderAction.SET_EXPECTED_DELIVERY, order))
    _check_expected_delivery(expected_delivery_on, order.placed_on)
    if expected_delivery_on > order.placed_on + timedelta(days=365):
        raise ValidationError(
            {"expected_delivery_on": "The expected delivery date must be within a year of placing"}
        )
    old = order.expected_delivery_on
    if old == expected_delivery_on:
        return order
    order.expected_delivery_on = expected_delivery_on
    order.save(update_fields=["expected_delivery_on"])
    _audit(
        actor=actor,
        action="tokens.order_expected_delivery_set",
        obj=order,
        premises=order.premises,
        changes={
            "expected_delivery_on": [
                old.isoformat() if old else None,
                expected_delivery_on.isoformat(),
            ]
        },
    )
    return order


@transaction.atomic
def token_order_receive(
    *, actor: User, order: TokenOrder, received_on: date, tokens_received: int | None = None
) -> TokenOrder:
    """The delivery arrived: the order is received and its tokens (the order's, or
    tokens_received when the delivery differed) join the stock, once (eps.actions
    decides who and from which state: PermissionDenied, or ValidationError with the
    reason). ValidationError too for a bad number of tokens or delivery date."""
    settings_row = _lock_settings(order.premises)
    order = _lock_order(order)
    enforce(actions.check(actor, OrderAction.RECEIVE, order))
    tokens = order.tokens if tokens_received is None else tokens_received
    _check_tokens("tokens_received", tokens)
    today = timezone.localdate()
    if received_on < order.placed_on:
        raise ValidationError(
            {
                "received_on": "The delivery date must be on or after the date the order was "
                f"placed, {_fmt(order.placed_on)}"
            }
        )
    _check_recent_date("received_on", received_on, today, "delivery date")
    movement = StockMovement.objects.create(
        premises=order.premises,
        kind=Kind.DELIVERY,
        quantity=tokens,
        occurred_on=received_on,
        covers_from=received_on,
        order=order,
        recorded_by=actor,
    )
    order.status = Status.RECEIVED
    order.received_on = received_on
    order.received_by = actor
    order.save(update_fields=["status", "received_on", "received_by"])
    _audit(
        actor=actor,
        action="tokens.order_received",
        obj=order,
        premises=order.premises,
        changes={
            "received_on": received_on.isoformat(),
            "tokens": tokens,
            "ordered_tokens": order.tokens,
            "movement": movement.pk,
        },
    )
    _end_episode_if_recovered(settings_row)
    return order


@transaction.atomic
def token_order_cancel(*, actor: User, order: TokenOrder, reason: str) -> TokenOrder:
    """Cancel a draft or placed order, with the reason (eps.actions decides who and
    when)."""
    order = _lock_order(order)
    enforce(actions.check(actor, OrderAction.CANCEL, order))
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": "Say why the order is cancelled"})
    previous = order.status
    order.status = Status.CANCELLED
    order.cancelled_at = timezone.now()
    order.cancelled_by = actor
    order.cancel_reason = reason[:500]
    order.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"])
    _audit(
        actor=actor,
        action="tokens.order_cancelled",
        obj=order,
        premises=order.premises,
        changes={"was": previous, "reason": order.cancel_reason},
    )
    return order


@transaction.atomic
def token_order_escalate(
    *, actor: User, order: TokenOrder, method: str, note: str = ""
) -> OrderEscalation:
    """Record a chase of a late order with PCSE (eps.actions decides who and when:
    PermissionDenied, or ValidationError with the reason). method: an
    OrderEscalation.Method value (ValidationError for another); note trimmed to 500
    characters."""
    order = _lock_order(order)
    enforce(actions.check(actor, OrderAction.CHASE, order))
    if method not in OrderEscalation.Method.values:
        raise ValidationError({"method": "Choose how you chased PCSE"})
    note = " ".join((note or "").split())[:500]
    escalation = OrderEscalation.objects.create(
        order=order, method=method, note=note, escalated_by=actor
    )
    _audit(
        actor=actor,
        action="tokens.order_escalated",
        obj=order,
        premises=order.premises,
        changes={"method": method, "note": note},
    )
    return escalation
