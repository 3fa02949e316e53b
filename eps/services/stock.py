"""The stock ledger: usage, counts and reorder settings."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.permissions import Permission

from ..models import StockMovement
from ..validators import MAX_TOKENS
from ._shared import (
    Kind,
    _audit,
    _check_recent_date,
    _check_tokens,
    _end_episode_if_recovered,
    _lock_settings,
    _require,
)

if TYPE_CHECKING:
    from datetime import date

    from accounts.models import Premises, User

    from ..models import TokenSettings


def _stock(premises):
    total = StockMovement.objects.filter(premises=premises).aggregate(total=Sum("quantity"))
    return total["total"] or 0


USAGE_ADD = "add"
USAGE_CORRECT = "correct"


def _period_words(occurred_on, period_days):
    if period_days == 1:
        return f"on {occurred_on:%-d %B %Y}"
    return f"in the week ending {occurred_on:%-d %B %Y}"


@transaction.atomic
def token_usage_record(
    *,
    actor: User,
    premises: Premises,
    quantity: int,
    occurred_on: date | None = None,
    period_days: int = 1,
    if_already: str | None = None,
) -> tuple[StockMovement, int]:
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
def token_count_record(
    *, actor: User, premises: Premises, counted: int, reason: str
) -> StockMovement:
    """A count of the tokens on the shelf: the difference from the ledger is recorded as
    an adjustment dated today, so the history says why the figure moved.

    Raises PermissionDenied without Permission.MANAGE_TOKENS there, and ValidationError
    (counted, reason) for a count below 0 or above MAX_TOKENS, a blank reason, or a count
    that matches the stock."""
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
def token_settings_update(
    *, actor: User, premises: Premises, pack_size: int, lead_time_days: int, safety_margin_days: int
) -> TokenSettings:
    """Change the premises' pack size (tokens) and lead time and safety margin (days), which
    set the reorder point (docs/decisions/0011-eps-reorder-defaults.md); audited,
    unchanged when nothing differs. Raises PermissionDenied without
    Permission.MANAGE_TOKENS there, and ValidationError for values the model refuses."""
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
