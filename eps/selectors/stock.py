"""One premises' tokens: the premises, its settings, its stock ledger and history."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.db.models import DateField, Sum, Value
from django.db.models.functions import Greatest
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import Premises
from accounts.permissions import Permission, has_permission
from accounts.selectors import premises_for_user

from ..cover import USAGE_WINDOW_DAYS
from ..models import StockMovement, TokenSettings

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from accounts.models import User


def token_premises_get(
    user: User, pk: int, permission: Permission = Permission.VIEW_TOKENS
) -> Premises:
    """One premises where the user holds `permission` (viewing tokens by default). Raises
    Http404 otherwise."""
    return get_object_or_404(premises_for_user(user, permission), pk=pk)


def token_settings_for(premises: Premises) -> TokenSettings:
    """The premises' settings row, or an unsaved one holding the defaults."""
    return TokenSettings.objects.filter(premises=premises).first() or TokenSettings(
        premises=premises
    )


def movements_for_premises(user: User, premises: Premises) -> QuerySet[StockMovement]:
    """The premises' stock ledger (usage, deliveries, adjustments), newest first, with
    recorder and order joined, for someone who may view its tokens; none otherwise
    (docs/decisions/0012-eps-stock-ledger.md)."""
    if not has_permission(user, Permission.VIEW_TOKENS, premises):
        return StockMovement.objects.none()
    return StockMovement.objects.filter(premises=premises).select_related("recorded_by", "order")


def stock_history(
    premises: Premises, *, today: date | None = None, days: int = USAGE_WINDOW_DAYS
) -> list[tuple[date, int]]:
    """[(day, tokens in stock at the end of that day)] for the last `days` days: one
    query."""
    today = today or timezone.localdate()
    start = today - timedelta(days=days - 1)
    # One query: each day's change, and everything before the first day in one opening
    # bucket, the day before it.
    before = start - timedelta(days=1)
    changes = dict(
        StockMovement.objects.filter(premises=premises, occurred_on__lte=today)
        .order_by()
        .annotate(day=Greatest("occurred_on", Value(before, output_field=DateField())))
        .values_list("day")
        .annotate(delta=Sum("quantity"))
    )
    stock = changes.pop(before, 0)
    history = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        stock += changes.get(day, 0)
        history.append((day, stock))
    return history
