"""Reads for the smartcards area, by topic, each scoped to what the user may see.

Holders are seen by themselves and by whoever holds VIEW_HOLDER_PROFILE at a premises
where they currently work (their manager, the unlockers covering it, their head office,
portal admins). Requests are seen by the holder, whoever raised them, and the same
premises roles. The unlock queue is WORK_UNLOCK_QUEUE's scope: the unlockers covering the
premises, and portal admins.

- holders: cards, their holders and the premises they work at;
- authorities: Registration Authorities per ICB area;
- requests: unlock and renewal requests and their history;
- queue: the unlockers' queue;
- cover: which unlockers cover which premises;
- figures: per-premises figures, the smartcards standing's input and the head-office pages;
- reminders: what the escalation and certificate reminder jobs pick up;
- home: the home page panel.
"""

from ._shared import ACTIVE, AREA
from .authorities import region_get, regions_with_authorities, registration_authorities_for_premises
from .cover import CoverRow, can_view_cover, cover_for_user, cover_rows, with_cover
from .figures import (
    premises_by_standing,
    premises_smartcard_figures,
    standing_totals,
    with_standing,
)
from .holders import (
    any_certificates_expired,
    can_act_for,
    can_search_holders,
    holder_for_self,
    holder_get,
    holder_premises_in_scope,
    holder_search,
    holders_for_user,
    holders_of_staff_at_premises,
    premises_for_smartcards,
    premises_to_raise_from,
    staff_cards_at_premises,
    staff_member_at_premises,
)
from .home import HomePanel, home_panel
from .queue import QUEUE_VIEWS, can_work_queue, queue_for_user, queue_request_get
from .reminders import (
    escalation_due,
    escalation_recipients,
    escalation_recipients_for,
    first_premises_of,
    holders_due_reminder,
    manager_memberships_for,
    manager_memberships_of,
    requests_due_escalation,
)
from .requests import (
    active_requests_at_premises,
    request_events,
    request_get,
    requests_for_holder,
    requests_for_self,
    requests_for_user,
)

__all__ = [
    "ACTIVE",
    "AREA",
    "QUEUE_VIEWS",
    "CoverRow",
    "HomePanel",
    "active_requests_at_premises",
    "any_certificates_expired",
    "can_act_for",
    "can_search_holders",
    "can_view_cover",
    "can_work_queue",
    "cover_for_user",
    "cover_rows",
    "escalation_due",
    "escalation_recipients",
    "escalation_recipients_for",
    "first_premises_of",
    "holder_for_self",
    "holder_get",
    "holder_premises_in_scope",
    "holder_search",
    "holders_due_reminder",
    "holders_for_user",
    "holders_of_staff_at_premises",
    "home_panel",
    "manager_memberships_for",
    "manager_memberships_of",
    "premises_by_standing",
    "premises_for_smartcards",
    "premises_smartcard_figures",
    "premises_to_raise_from",
    "queue_for_user",
    "queue_request_get",
    "region_get",
    "regions_with_authorities",
    "registration_authorities_for_premises",
    "request_events",
    "request_get",
    "requests_due_escalation",
    "requests_for_holder",
    "requests_for_self",
    "requests_for_user",
    "staff_cards_at_premises",
    "staff_member_at_premises",
    "standing_totals",
    "with_cover",
    "with_standing",
]
