"""The home page's SCR/NCRS panel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from accounts.selectors import Holdings, holdings_for_self

from ._shared import AREA
from .guidance import guidance_due_for_review

if TYPE_CHECKING:
    from datetime import date

    from accounts.models import User


@dataclass(frozen=True)
class HomePanel:
    managed_premises: list
    organisations: list
    guidance_past_review: list

    def __bool__(self):
        return bool(self.managed_premises or self.organisations or self.guidance_past_review)


def home_panel(
    user: User, *, today: date | None = None, holdings: Holdings | None = None
) -> HomePanel | None:
    """What the records area has to say on the user's home page: managed premises with
    their stored SCR/NCRS standing (accounts.selectors.PremisesInArea, by name), the
    organisations they run, and guidance due for review for those who edit it; None
    when there is nothing. `holdings`: what the home page has already read of the user
    (holdings_for_self); read here when not given."""
    holdings = holdings if holdings is not None else holdings_for_self(user)
    due = list(
        guidance_due_for_review(user, today).select_related(None).only("slug", "title", "review_by")
    )
    panel = HomePanel(holdings.in_area(AREA, managed=True), holdings.organisations, due)
    return panel or None
