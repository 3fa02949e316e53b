"""The EPS token standing of a premises, in one place (see accounts.standings).

Days of cover, the reorder point and low stock are worked out by eps.selectors'
TokenFigures; this module decides what they mean for the premises.

Red, needs action:
  - stock is low (days of cover below lead time plus safety margin) and no order is
    placed on PCSE Online, or the order placed is overdue.
Amber, watch:
  - stock is low and an order is on its way;
  - an order placed on PCSE Online is past its expected delivery date;
  - fewer than MIN_ORDERERS current staff can order on PCSE Online;
  - no token usage recorded in the last eight weeks, so days of cover are unknown.
Green, in order: none of these.

Figures: stock, days_of_cover (int or None), reorder_days, open_orders, placed_orders,
overdue_orders, orderers (int), has_usage, is_low, too_few_orderers (bool).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.standings import AMBER, GREEN, RED, Standing

from .selectors import token_figures

if TYPE_CHECKING:
    from datetime import date

    from django.db.models import QuerySet

    from accounts.models import Premises

    from .selectors import TokenFigures

MIN_ORDERERS = 2


def _plural(count, word):
    return f"{count} {word}{'' if count == 1 else 's'}"


def standing_from_figures(t: TokenFigures) -> Standing:
    """The Standing for one premises' TokenFigures."""
    figures = {
        "stock": t.stock,
        "days_of_cover": t.days_of_cover,
        "reorder_days": t.reorder_days,
        "open_orders": t.open_orders,
        "placed_orders": t.placed_orders,
        "overdue_orders": t.overdue_orders,
        "orderers": t.orderers,
        "has_usage": t.has_usage,
        "is_low": t.is_low,
        "too_few_orderers": t.orderers < MIN_ORDERERS,
    }
    red, amber = [], []
    if t.is_low:
        low = (
            f"Low on tokens: {_plural(t.days_of_cover, 'day')} of cover, below the "
            f"{t.reorder_days}-day reorder point"
        )
        if t.placed_orders == 0:
            red.append(f"{low}, and no order placed on PCSE Online")
        elif t.overdue_orders:
            red.append(f"{low}, and the order placed is overdue")
        else:
            amber.append(f"{low}; an order is on its way")
    if t.overdue_orders and not red:
        amber.append(f"{_plural(t.overdue_orders, 'order')} past the expected delivery date")
    if figures["too_few_orderers"]:
        amber.append(
            f"{'Only one person' if t.orderers == 1 else 'Nobody'} here can order on PCSE "
            f"Online; {MIN_ORDERERS} are needed"
        )
    if not t.has_usage:
        amber.append(
            "No token usage recorded in the last eight weeks, so days of cover are unknown"
        )
    if red:
        return Standing(RED, "; ".join(red + amber), figures)
    if amber:
        return Standing(AMBER, "; ".join(amber), figures)
    return Standing(
        GREEN, f"{t.stock:,} in stock, {_plural(t.days_of_cover, 'day')} of cover", figures
    )


def work_out(premises_queryset: QuerySet[Premises], on: date) -> dict[int, Standing]:
    """{premises_id: Standing} for every premises of the queryset on day `on`: one query."""
    return {
        figures.premises.pk: standing_from_figures(figures)
        for figures in token_figures(premises_queryset.order_by().only("pk"), today=on)
    }
