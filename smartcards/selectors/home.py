"""The home page's smartcards panel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Q

from accounts.permissions import Permission, scope_for
from accounts.selectors import Holdings, holdings_for_self

from ..models import SmartcardHolder
from ._shared import ACTIVE
from .cover import can_view_cover
from .holders import holder_for_self
from .queue import can_work_queue, queue_for_user
from .requests import requests_for_self

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class HomePanel:
    holder: SmartcardHolder | None
    active_requests: list
    works_somewhere: bool
    queue_waiting: int | None
    queue_urgent: int | None
    organisations: list
    can_view_cover: bool
    can_manage_authorities: bool

    def __bool__(self):
        return bool(
            self.holder
            or self.active_requests
            or self.works_somewhere
            or self.queue_waiting is not None
            or self.organisations
            or self.can_view_cover
        )


def home_panel(user: User, *, holdings: Holdings | None = None) -> HomePanel:
    """What the home page shows about smartcards; falsy when nothing applies to the user.
    `holdings`: what the home page has already read of the user (holdings_for_self),
    for the organisations they run; read here when not given."""
    scope = scope_for(user)
    holdings = holdings if holdings is not None else holdings_for_self(user)
    holder = holder_for_self(user)
    active = list(requests_for_self(user).filter(status__in=ACTIVE)) if holder else []
    queue_waiting = queue_urgent = None
    if can_work_queue(user):
        counts = (
            queue_for_user(user, "waiting")
            .order_by()
            .aggregate(waiting=Count("pk"), urgent=Count("pk", filter=Q(urgent=True)))
        )
        queue_waiting, queue_urgent = counts["waiting"], counts["urgent"]
    return HomePanel(
        holder=holder,
        active_requests=active,
        works_somewhere=bool(scope.staff_premises_ids),
        queue_waiting=queue_waiting,
        queue_urgent=queue_urgent,
        organisations=holdings.organisations,
        can_view_cover=can_view_cover(user),
        can_manage_authorities=scope.has_permission(Permission.MANAGE_UNLOCKER_COVER),
    )
