"""The home page: what the user holds, read once, and each area's panel built from it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from accounts import selectors as account_selectors
from accounts.permissions import Permission, Role, scope_for
from eps import selectors as eps_selectors
from jobs import selectors as jobs_selectors
from nhsmail import selectors as nhsmail_selectors
from records import selectors as records_selectors
from smartcards import selectors as smartcards_selectors

if TYPE_CHECKING:
    from accounts.models import Membership, Organisation, UnlockerCover, User
    from jobs.selectors import JobStatus


@dataclass(frozen=True)
class HomePage:
    roles: set[Role]
    memberships: list[Membership]
    organisations: list[Organisation]
    covers: list[UnlockerCover]
    can_add_organisation: bool
    can_manage_jobs: bool
    jobs_needing_attention: list[JobStatus]
    nhsmail_panel: object
    records_panel: object
    eps_panel: object
    smartcards_panel: object


def home_page(user: User) -> HomePage:
    """Everything the home page shows: the user's memberships, the organisations they
    run (every organisation for a portal admin, annotated premises_count), their
    unlocker cover, the periodic jobs needing attention for a portal admin, and each
    area's panel (each area decides its own content and levels).

    The user's premises, the stored standings of those premises in every area (made
    current once) and the organisations they run are read once (accounts.selectors.
    holdings_for_self) and handed to the panels, so the page costs a fixed number of
    queries whatever the number of areas."""
    scope = scope_for(user)
    holdings = account_selectors.holdings_for_self(user)
    if scope.is_portal_admin:
        organisations = list(account_selectors.organisations_for_user(user))
    elif Role.HEAD_OFFICE_ADMIN in scope.roles:
        organisations = holdings.organisations
    else:
        organisations = []
    return HomePage(
        roles=scope.roles,
        memberships=holdings.memberships,
        organisations=organisations,
        covers=list(account_selectors.unlocker_covers_for_user(user)),
        can_add_organisation=scope.has_permission(Permission.MANAGE_ORGANISATIONS),
        can_manage_jobs=scope.has_permission(Permission.MANAGE_JOBS),
        jobs_needing_attention=jobs_selectors.jobs_needing_attention(user),
        nhsmail_panel=nhsmail_selectors.home_panel(user, holdings=holdings),
        records_panel=records_selectors.home_panel(user, holdings=holdings),
        eps_panel=eps_selectors.home_panel(user, holdings=holdings),
        smartcards_panel=smartcards_selectors.home_panel(user, holdings=holdings),
    )
