"""Per-premises smartcard figures and the stored standings the head-office pages read."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from accounts import standings
from accounts.models import Membership

from ..models import SmartcardHolder, SmartcardRequest
from ._shared import ACTIVE, AREA, _count
from .cover import with_cover

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import date

    from django.db.models import QuerySet

    from accounts.models import Premises


def premises_smartcard_figures(
    premises_queryset: QuerySet[Premises], today: date | None = None
) -> QuerySet[Premises]:
    """Per-premises smartcard figures, in one query whatever the number of premises.

    Annotates: `open_requests` and `urgent_requests` (waiting or claimed),
    `oldest_raised_at` (the longest-waiting of those), `certificates_expired` and
    `expiring_30`, `expiring_60`, `expiring_90` (certificates of people working there now,
    not yet expired, ending within that many days), plus the cover figures of
    `with_cover`. The smartcards standing (smartcards/standing.py) is worked out from
    these, and the organisation page's CSV lists them.
    """
    today = today or timezone.localdate()
    active = SmartcardRequest.objects.filter(premises=OuterRef("pk"), status__in=ACTIVE)
    # Cards of people working there now. A person holds one card, however many
    # memberships they have at the premises, so counting cards counts people once; and
    # matching memberships by user id skips a join through the user table, which was most
    # of the cost of these four figures across thousands of premises.
    cards = SmartcardHolder.objects.filter(
        user_id__in=Membership.objects.current(today)
        .filter(premises=OuterRef(OuterRef("pk")))
        .values("user_id")
    )

    def expiring_within(days):
        return _count(
            cards.filter(
                certificate_expires_on__gte=today,
                certificate_expires_on__lte=today + timedelta(days=days),
            )
        )

    figures = premises_queryset.annotate(
        open_requests=_count(active),
        urgent_requests=_count(active.filter(urgent=True)),
        oldest_raised_at=Subquery(active.order_by("raised_at").values("raised_at")[:1]),
        certificates_expired=_count(cards.filter(certificate_expires_on__lt=today)),
        expiring_30=expiring_within(30),
        expiring_60=expiring_within(60),
        expiring_90=expiring_within(settings.SMARTCARD_RENEWAL_WINDOW_DAYS),
    )
    return with_cover(figures, today)


def premises_by_standing(premises_queryset: QuerySet[Premises]) -> QuerySet[Premises]:
    """The premises, made current, most urgent smartcards standing first: red, amber, then
    green, by name within each."""
    standings.ensure_current(premises_queryset)
    return standings.join_standings(premises_queryset, [AREA]).order_by(
        standings.urgency(AREA), "name", "pk"
    )


def with_standing(premises_list: Iterable[Premises]) -> list[Premises]:
    """Attach each premises' stored smartcards standing (made current by
    premises_by_standing) as `.standing`, and the moment its oldest open request was
    raised as `.oldest_waiting_since`: one query."""
    premises_list = standings.attach(premises_list, AREA, ensure=False)
    for premises in premises_list:
        oldest = premises.standing.figures.get("oldest_raised_at") if premises.standing else None
        premises.oldest_waiting_since = datetime.fromisoformat(oldest) if oldest else None
    return premises_list


def standing_totals(premises_queryset: QuerySet[Premises]) -> dict[str, int]:
    """Totals of the stored smartcards figures over the premises, summed per premises as
    the dashboard sums them (a locum's card counts at each premises they work at), and
    the number of premises without unlocker cover: two queries."""
    totals = standings.figure_totals(
        premises_queryset,
        AREA,
        [
            "open_requests",
            "urgent_requests",
            "certificates_expired",
            "expiring_30",
            "expiring_60",
            "expiring_90",
        ],
    )
    totals["without_cover"] = (
        standings.join_standings(premises_queryset, [AREA])
        .filter(**{f"{standings.joined(AREA)}__figures__unlocker_count": 0})
        .count()
    )
    return totals
