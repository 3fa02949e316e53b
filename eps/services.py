"""Writes for EPS tokens. Each service checks permission, locks what it changes, writes
the audit event and queues email on commit.

Every change to a premises' stock locks that premises' TokenSettings row first (orders
after it, always in that order), so concurrent movements queue behind each other and the
never-negative check sees every movement committed before it.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts import standings
from accounts.actions import enforce
from accounts.audit import audit_record
from accounts.emails import queue_email
from accounts.models import Membership, OrganisationAdmin, Premises
from accounts.permissions import Permission, has_permission

from . import actions, selectors
from .actions import OrderAction, OrdererAction
from .models import OrderEscalation, PcseOrderer, StockMovement, TokenOrder, TokenSettings
from .selectors import AREA
from .validators import MAX_TOKENS, normalise_pcse_reference, validate_pcse_reference

Kind = StockMovement.Kind
Status = TokenOrder.Status

# How far back a movement may be dated: older corrections are a count adjustment today.
MAX_BACKDATE_DAYS = 90
LOW_STOCK_JOB = "eps low-stock job"


def _audit(**event):
    """Audit a change to a premises' tokens; its EPS standing follows once it commits."""
    audit_record(**event)
    standings.refresh_on_commit([event["premises"].pk], areas=[AREA])


def _require(user, permission, premises):
    if not has_permission(user, permission, premises):
        raise PermissionDenied


def _fmt(day):
    return f"{day:%-d %B %Y}"


def _check_tokens(field, value, noun="tokens"):
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError({field: f"Enter the number of {noun} as a whole number"})
    if value < 1:
        raise ValidationError({field: f"Enter a number of {noun} of 1 or more"})
    if value > MAX_TOKENS:
        raise ValidationError({field: f"Enter a number of {noun} of {MAX_TOKENS:,} or fewer"})


def _check_recent_date(field, day, today, what):
    if day > today:
        raise ValidationError({field: f"The {what} must be today or in the past"})
    if day < today - timedelta(days=MAX_BACKDATE_DAYS):
        raise ValidationError(
            {field: f"The {what} must be within the last {MAX_BACKDATE_DAYS} days"}
        )


def _lock_settings(premises):
    """The premises' settings row, locked for the rest of the transaction."""
    TokenSettings.objects.get_or_create(premises=premises)
    return TokenSettings.objects.select_for_update().get(premises=premises)


def _stock(premises):
    total = StockMovement.objects.filter(premises=premises).aggregate(total=Sum("quantity"))
    return total["total"] or 0


def _lock_order(order):
    return TokenOrder.objects.select_for_update().select_related("premises").get(pk=order.pk)


def _end_episode_if_recovered(settings_row):
    """A low-stock episode ends when stock is back above the reorder point."""
    if settings_row.low_stock_alerted_at is None:
        return
    if not selectors.token_figures_for(settings_row.premises).is_low:
        settings_row.low_stock_alerted_at = None
        settings_row.save(update_fields=["low_stock_alerted_at"])


# --- Stock movements ---------------------------------------------------------------------


USAGE_ADD = "add"
USAGE_CORRECT = "correct"


def _period_words(occurred_on, period_days):
    if period_days == 1:
        return f"on {occurred_on:%-d %B %Y}"
    return f"in the week ending {occurred_on:%-d %B %Y}"


@transaction.atomic
def token_usage_record(
    *, actor, premises, quantity, occurred_on=None, period_days=1, if_already=None
):
    """Tokens used on a day, or over the week ending on occurred_on.

    Any member of the team who can see the stock records usage: it is the quick,
    everyday entry that keeps days of cover right. quantity: whole tokens, 1 to 100,000.

    When usage is already recorded for the same premises, day and period, nothing is
    written until the person says what they mean (if_already):
      - "add": these tokens were used as well (two people recording one busy day);
      - "correct": the day's total was this number: a usage correction (a movement
        pointing at the first record, `corrects`) changes the day's total to it, so the
        stock and daily use follow. The ledger stays append-only.
    Without it, ValidationError on "if_already" (code "usage_already_recorded") says what
    is recorded, by whom and when. Returns (movement, stock after). Raises
    PermissionDenied without VIEW_TOKENS; ValidationError for a bad quantity, period or
    date, usage beyond the stock, or a correction that changes nothing.
    """
    _require(actor, Permission.VIEW_TOKENS, premises)
    today = timezone.localdate()
    occurred_on = occurred_on or today
    _check_tokens("quantity", quantity)
    if period_days not in StockMovement.Period.values:
        raise ValidationError({"period_days": "Choose whether this is one day's or a week's use"})
    if if_already not in (None, "", USAGE_ADD, USAGE_CORRECT):
        raise ValidationError({"if_already": "Choose whether to add to it or correct it"})
    _check_recent_date("occurred_on", occurred_on, today, "last day of use")
    _lock_settings(premises)
    stock = _stock(premises)
    same_period = StockMovement.objects.filter(
        premises=premises, kind=Kind.USAGE, occurred_on=occurred_on, period_days=period_days
    )
    already = -(same_period.aggregate(total=Sum("quantity"))["total"] or 0)
    first = same_period.select_related("recorded_by").order_by("recorded_at", "id").first()
    corrects = None
    change = quantity
    if first is not None and not if_already:
        when = timezone.localtime(first.recorded_at)
        raise ValidationError(
            {
                "if_already": ValidationError(
                    f"{already:,} tokens used {_period_words(occurred_on, period_days)} are "
                    f"already recorded (first by {first.recorded_by.full_name} on "
                    f"{when:%-d %B %Y at %H:%M}). Choose whether to add these {quantity:,} "
                    f"to it, or correct the total to {quantity:,}.",
                    code="usage_already_recorded",
                )
            }
        )
    if first is not None and if_already == USAGE_CORRECT:
        change = quantity - already
        corrects = first
        if change == 0:
            raise ValidationError(
                {"quantity": f"{already:,} tokens are already recorded for that day: no change"}
            )
    if change > stock:
        raise ValidationError(
            {
                "quantity": f"That is more than the {stock:,} tokens in stock. Check the number, "
                "or record a stock count if the stock figure is wrong."
            }
        )
    movement = StockMovement.objects.create(
        premises=premises,
        kind=Kind.USAGE,
        quantity=-change,
        occurred_on=occurred_on,
        period_days=period_days,
        covers_from=occurred_on - timedelta(days=period_days - 1),
        corrects=corrects,
        recorded_by=actor,
    )
    changes = {
        "tokens": quantity,
        "occurred_on": occurred_on.isoformat(),
        "period_days": period_days,
        "stock_after": stock - change,
    }
    if corrects is not None:
        changes["corrected_from"] = already
    _audit(
        actor=actor,
        action="tokens.usage_corrected" if corrects else "tokens.usage_recorded",
        obj=movement,
        premises=premises,
        changes=changes,
    )
    return movement, stock - change


@transaction.atomic
def token_count_record(*, actor, premises, counted, reason):
    """A count of the tokens on the shelf: the difference from the ledger is recorded as
    an adjustment, so the history says why the figure moved."""
    _require(actor, Permission.MANAGE_TOKENS, premises)
    if isinstance(counted, bool) or not isinstance(counted, int) or counted < 0:
        raise ValidationError({"counted": "Enter the number of tokens counted, 0 or more"})
    if counted > MAX_TOKENS:
        raise ValidationError({"counted": f"Enter a number of tokens of {MAX_TOKENS:,} or fewer"})
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": "Say why the count differs, for example spoilt tokens"})
    settings_row = _lock_settings(premises)
    stock = _stock(premises)
    difference = counted - stock
    if difference == 0:
        raise ValidationError(
            {"counted": f"The count matches the {stock:,} tokens already recorded: no change"}
        )
    today = timezone.localdate()
    movement = StockMovement.objects.create(
        premises=premises,
        kind=Kind.ADJUSTMENT,
        quantity=difference,
        occurred_on=today,
        covers_from=today,
        reason=reason[:500],
        recorded_by=actor,
    )
    _audit(
        actor=actor,
        action="tokens.count_recorded",
        obj=movement,
        premises=premises,
        changes={"counted": counted, "was": stock, "difference": difference, "reason": reason},
    )
    _end_episode_if_recovered(settings_row)
    return movement


@transaction.atomic
def token_settings_update(*, actor, premises, pack_size, lead_time_days, safety_margin_days):
    _require(actor, Permission.MANAGE_TOKENS, premises)
    settings_row = _lock_settings(premises)
    changes = {}
    for name, value in (
        ("pack_size", pack_size),
        ("lead_time_days", lead_time_days),
        ("safety_margin_days", safety_margin_days),
    ):
        old = getattr(settings_row, name)
        if old != value:
            changes[name] = [old, value]
            setattr(settings_row, name, value)
    if not changes:
        return settings_row
    settings_row.full_clean()
    settings_row.save()
    _audit(
        actor=actor,
        action="tokens.settings_changed",
        obj=settings_row,
        premises=premises,
        changes=changes,
    )
    _end_episode_if_recovered(settings_row)
    return settings_row


# --- Orders ------------------------------------------------------------------------------


@transaction.atomic
def token_order_draft(*, actor, premises, packs):
    """Anyone on the team who sees the stock may ask for an order; placing it on PCSE
    Online is for the managers and the premises' PCSE orderers."""
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
def token_order_place(*, actor, order, pcse_reference, placed_on, expected_delivery_on=None):
    """Record that the order was placed on PCSE Online, with PCSE's reference. Who may,
    and from which state, is eps.actions (PermissionDenied, or ValidationError with the
    reason); the reference is checked and must be new for the premises."""
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
def token_order_expected_delivery_set(*, actor, order, expected_delivery_on):
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
def token_order_receive(*, actor, order, received_on, tokens_received=None):
    """The delivery arrived: the order is received and its tokens join the stock, once
    (eps.actions decides who and from which state)."""
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
def token_order_cancel(*, actor, order, reason):
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
def token_order_escalate(*, actor, order, method, note=""):
    """Record a chase of a late order with PCSE (eps.actions decides who and when)."""
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


# --- PCSE orderers -----------------------------------------------------------------------


@transaction.atomic
def pcse_orderer_add(*, actor, premises, user):
    """Record that PCSE linked `user`, who works at the premises, to its PCSE Online
    account (eps.actions decides who may)."""
    enforce(actions.check_orderers(actor, OrdererAction.ADD, premises))
    if not Membership.objects.current().filter(premises=premises, user=user).exists():
        raise ValidationError({"user": f"{user.full_name} does not work at {premises.name}"})
    if PcseOrderer.objects.filter(premises=premises, user=user).exists():
        raise ValidationError(
            {"user": f"{user.full_name} is already linked to the PCSE Online account"}
        )
    orderer = PcseOrderer.objects.create(premises=premises, user=user, added_by=actor)
    _audit(
        actor=actor,
        action="tokens.pcse_orderer_added",
        obj=orderer,
        premises=premises,
        changes={"user": user.email},
    )
    return orderer


@transaction.atomic
def pcse_orderer_remove(*, actor, orderer):
    enforce(actions.check_orderers(actor, OrdererAction.REMOVE, orderer.premises))
    _audit(
        actor=actor,
        action="tokens.pcse_orderer_removed",
        obj=orderer,
        premises=orderer.premises,
        changes={"user": orderer.user.email},
    )
    orderer.delete()


# --- Low-stock job -----------------------------------------------------------------------


@transaction.atomic
def token_low_stock_sweep(*, today=None):
    """End the episodes of premises that recovered; return the ids of premises that
    need a low-stock email now. Reads every premises in a fixed number of queries."""
    figures = selectors.token_figures(Premises.objects.order_by("pk"), today=today)
    recovered = [
        f.premises.pk for f in figures if f.low_stock_alerted_at is not None and not f.is_low
    ]
    if recovered:
        TokenSettings.objects.filter(premises_id__in=recovered).update(low_stock_alerted_at=None)
    return [f.premises.pk for f in figures if f.needs_alert and f.low_stock_alerted_at is None]


def _alert_recipients(premises):
    managers = list(
        Membership.objects.current()
        .filter(premises=premises, is_manager=True, user__is_active=True)
        .values_list("user__email", flat=True)
        .order_by("user__email")
    )
    if managers:
        return managers
    # No manager on the staff list: the group's head office is the next pair of hands.
    return list(
        OrganisationAdmin.objects.filter(
            organisation_id=premises.organisation_id, user__is_active=True
        )
        .values_list("user__email", flat=True)
        .order_by("user__email")
    )


@transaction.atomic
def token_low_stock_alert(*, premises_id, today=None):
    """Email the premises managers that tokens are running low, once per episode.

    Safe to run twice: the settings row is locked and the episode marker checked, so a
    second run (a retried task, a second beat) sends nothing.
    """
    premises = Premises.objects.select_related("organisation").get(pk=premises_id)
    settings_row = _lock_settings(premises)
    if settings_row.low_stock_alerted_at is not None:
        return False
    figures = selectors.token_figures_for(premises, today=today)
    if not figures.needs_alert:
        return False
    settings_row.low_stock_alerted_at = timezone.now()
    settings_row.save(update_fields=["low_stock_alerted_at"])
    recipients = _alert_recipients(premises)
    for email in recipients:
        queue_email(
            to=email,
            subject=f"EPS tokens running low at {premises.name}",
            template="eps/emails/low_stock.txt",
            context={"premises": premises, "figures": figures},
        )
    _audit(
        actor=LOW_STOCK_JOB,
        action="tokens.low_stock_alerted",
        obj=settings_row,
        premises=premises,
        changes={
            "stock": figures.stock,
            "days_of_cover": figures.days_of_cover,
            "reorder_days": figures.reorder_days,
            "recipients": recipients,
        },
    )
    return True
