"""EPS token demo picture: eight weeks of usage at every demo premises.

Calder Valley Pharmacy is low on tokens with nothing ordered (its manager sees it on the
home page, and the low-stock job emails them); one Pennine premises has an order placed
on PCSE Online that is overdue; one Aire Health premises has a draft order waiting to be
placed; the Aire Health premises have only one PCSE orderer each. Keyed on the premises:
a premises that already has movements is left alone, so seeding twice changes nothing.
"""

import random
from datetime import datetime, time, timedelta

from django.utils import timezone

from accounts.models import Membership, Premises

from .models import PcseOrderer, StockMovement, TokenOrder, TokenSettings

DAYS = 56
PACK = 500
LOW_ODS = "FA1C7"
OVERDUE_ODS = "FP105"
DRAFT_ODS = "FAH22"

Kind = StockMovement.Kind


def _movement(premises, kind, quantity, day, user, *, period_days=1, order=None, reason=""):
    return StockMovement(
        premises=premises,
        kind=kind,
        quantity=quantity,
        occurred_on=day,
        period_days=period_days,
        covers_from=day - timedelta(days=period_days - 1),
        order=order,
        reason=reason,
        recorded_by=user,
        recorded_at=timezone.make_aware(datetime.combine(day, time(17, 30))),
    )


def _usage(rng, premises, user, today, rate, weekly):
    """Eight weeks of usage, daily (closed Sundays) or as weekly totals on Saturdays."""
    rows, total = [], 0
    week_total = 0
    for offset in range(DAYS - 1, -1, -1):
        day = today - timedelta(days=offset)
        used = 0 if day.weekday() == 6 else max(1, round(rate * rng.uniform(0.7, 1.3)))
        if weekly:
            week_total += used
            if day.weekday() == 5 and week_total:
                rows.append(_movement(premises, Kind.USAGE, -week_total, day, user, period_days=7))
                total += week_total
                week_total = 0
        elif used:
            rows.append(_movement(premises, Kind.USAGE, -used, day, user))
            total += used
    return rows, total


def _received_order(rng, premises, user, today, packs, days_ago):
    placed_on = today - timedelta(days=days_ago + 6)
    received_on = today - timedelta(days=days_ago)
    return TokenOrder.objects.create(
        premises=premises,
        status=TokenOrder.Status.RECEIVED,
        packs=packs,
        pack_size=PACK,
        requested_by=user,
        created_at=timezone.now() - timedelta(days=days_ago + 7),
        pcse_reference=f"PCSE-{rng.randint(100000, 999999)}",
        placed_on=placed_on,
        placed_by=user,
        expected_delivery_on=placed_on + timedelta(days=7),
        received_on=received_on,
        received_by=user,
    )


def _team(premises):
    memberships = list(
        Membership.objects.current()
        .filter(premises=premises)
        .select_related("user")
        .order_by("-is_manager", "job_role", "user__full_name")
    )
    return [m.user for m in memberships]


def _seed_premises(rng, premises, today):
    team = _team(premises)
    if not team:
        return
    manager = team[0]
    rate = rng.randint(12, 40)
    weekly = premises.ods_code.startswith("FP1") and int(premises.ods_code[-1]) % 3 == 0
    usage, used = _usage(rng, premises, manager, today, rate, weekly)

    rows = list(usage)
    delivered = 0
    if premises.ods_code != LOW_ODS:
        order = _received_order(rng, premises, manager, today, packs=2, days_ago=26)
        rows.append(
            _movement(
                premises, Kind.DELIVERY, order.tokens, order.received_on, manager, order=order
            )
        )
        delivered = order.tokens
    if premises.ods_code == LOW_ODS:
        closing = rate * 5  # about five days left, under the 14-day reorder point
    elif premises.ods_code == OVERDUE_ODS:
        closing = rate * 9
    else:
        closing = rate * rng.randint(20, 45)
    opening = max(closing + used - delivered, 1)
    rows.append(_movement(premises, Kind.DELIVERY, opening, today - timedelta(days=DAYS), manager))
    if premises.ods_code.endswith("4"):
        rows.append(
            _movement(
                premises,
                Kind.ADJUSTMENT,
                -rng.randint(3, 12),
                today - timedelta(days=20),
                manager,
                reason="Spoilt in the printer",
            )
        )
    StockMovement.objects.bulk_create(rows)

    if premises.ods_code == OVERDUE_ODS:
        TokenOrder.objects.create(
            premises=premises,
            status=TokenOrder.Status.PLACED,
            packs=2,
            pack_size=PACK,
            requested_by=team[-1],
            created_at=timezone.now() - timedelta(days=13),
            pcse_reference=f"PCSE-{rng.randint(100000, 999999)}",
            placed_on=today - timedelta(days=12),
            placed_by=manager,
            expected_delivery_on=today - timedelta(days=4),
        )
    if premises.ods_code == DRAFT_ODS:
        TokenOrder.objects.create(premises=premises, packs=1, pack_size=PACK, requested_by=team[-1])

    TokenSettings.objects.get_or_create(premises=premises)
    # Calder Valley and the Pennine shops have two people on the PCSE account; the Aire
    # Health shops only their manager, so the portal flags them.
    orderers = team[:1] if premises.ods_code.startswith("FAH") else team[:2]
    for user in orderers:
        PcseOrderer.objects.get_or_create(
            premises=premises, user=user, defaults={"added_by": manager}
        )


def seed(personas):
    rng = random.Random(6)
    today = timezone.localdate()
    premises_list = Premises.objects.filter(ods_code__regex=r"^(FA1C7|FAH2[0-9]|FP1[0-9]{2})$")
    for premises in premises_list.order_by("ods_code"):
        if StockMovement.objects.filter(premises=premises).exists():
            continue
        _seed_premises(rng, premises, today)
