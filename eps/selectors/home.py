"""The user's own premises: their figures, their alerts, the home page panel."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from accounts.permissions import Permission, scope_for
from accounts.selectors import premises_for_user

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


def token_alerts_for_user(user: User, *, today: date | None = None) -> list[TokenFigures]:
    """The user's own premises' TokenFigures whose EPS standing is short of green (or not
    worked out)."""
    return [
        figures
        for figures in own_premises_figures(user, today=today)
        if figures.standing is None or not figures.standing.is_best
    ]


def home_panel(user: User) -> dict[str, list[TokenFigures]] | None:
    """The home page's EPS panel: {"alerts": [TokenFigures]} for the user's premises that
    need something doing about tokens, or None when there is nothing to say."""
    alerts = token_alerts_for_user(user)
    return {"alerts": alerts} if alerts else None
