"""The home page's SCR/NCRS panel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from accounts import standings
from accounts.models import Organisation, Premises
from accounts.permissions import scope_for

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


def home_panel(user: User, *, today: date | None = None) -> HomePanel | None:
    """What the records area has to say on the user's home page: managed premises with
    their stored SCR/NCRS standing, the organisations they run, and guidance due for
    review for those who edit it; None when there is nothing."""
    scope = scope_for(user)
    managed = []
    if scope.managed_premises_ids:
        managed = standings.attach(
            Premises.objects.filter(pk__in=scope.managed_premises_ids).order_by("name"), AREA
        )
    organisations = []
    if scope.admin_organisation_ids:
        organisations = list(
            Organisation.objects.filter(pk__in=scope.admin_organisation_ids).order_by("name")
        )
    due = list(
        guidance_due_for_review(user, today).select_related(None).only("slug", "title", "review_by")
    )
    panel = HomePanel(managed, organisations, due)
    return panel or None
