"""The user's own premises: their figures, the home page panel."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from accounts.permissions import Permission, scope_for
from accounts.selectors import Holdings, holdings_for_self, premises_for_user

from ._shared import AREA
from .figures import TokenFigures, token_figures, with_standings

if TYPE_CHECKING:
    from accounts.models import User


def own_premises_figures(user: User, *, today: date | None = None) -> list[TokenFigures]:
    """TokenFigures, with their stored standing, for the premises the user works at (the
    home page and the tokens page); [] for someone who works nowhere."""
    staff_premises_ids = scope_for(user).staff_premises_ids
    if not staff_premises_ids:
        return []
    premises = premises_for_user(user, Permission.VIEW_TOKENS).filter(pk__in=staff_premises_ids)
    return with_standings(token_figures(premises, today=today))


def home_panel(user: User, *, holdings: Holdings | None = None) -> dict[str, list] | None:
    """The home page's EPS panel: {"alerts": [accounts.selectors.PremisesInArea]}, the
    user's own premises whose stored EPS standing is short of green (or not worked out),
    by name; None when there is nothing to say. `holdings`: what the home page has
    already read of the user (holdings_for_self); read here when not given."""
    holdings = holdings if holdings is not None else holdings_for_self(user)
    alerts = [
        row for row in holdings.in_area(AREA) if row.standing is None or not row.standing.is_best
    ]
    return {"alerts": alerts} if alerts else None
