"""EPS tokens at national scale: the head-office stock view of "Scale Group 0" (2,000
premises, eight weeks of usage each) and the daily low-stock sweep over every premises.

The floor is one hand-written query computing the same figures: stock, the usage window,
settings, open, placed and overdue orders, and PCSE orderers still working there.
"""

import random
from datetime import timedelta

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Premises
from benchmarks.scale import biggest_group, head_office_of_biggest_group
from eps import selectors, services
from eps.models import PcseOrderer, StockMovement, TokenOrder, TokenSettings

DAYS = 56

FLOOR_SQL = """
SELECT p.id, p.name, p.ods_code,
    COALESCE(SUM(m.quantity), 0),
    COALESCE(SUM(m.quantity) FILTER (
        WHERE m.kind = 'usage' AND m.occurred_on >= %(cutoff)s AND m.occurred_on <= %(today)s
    ), 0),
    MIN(m.covers_from) FILTER (
        WHERE m.kind = 'usage' AND m.occurred_on >= %(cutoff)s AND m.occurred_on <= %(today)s
    ),
    MAX(m.occurred_on) FILTER (
        WHERE m.kind = 'usage' AND m.occurred_on >= %(cutoff)s AND m.occurred_on <= %(today)s
    ),
    MAX(s.pack_size), MAX(s.lead_time_days), MAX(s.safety_margin_days),
    (SELECT COUNT(*) FROM eps_tokenorder o
        WHERE o.premises_id = p.id AND o.status IN ('draft', 'placed')),
    (SELECT COUNT(*) FROM eps_tokenorder o
        WHERE o.premises_id = p.id AND o.status = 'placed'),
    (SELECT COUNT(*) FROM eps_tokenorder o
        WHERE o.premises_id = p.id AND o.status = 'placed'
        AND o.expected_delivery_on < %(today)s),
    (SELECT COUNT(*) FROM eps_pcseorderer r
        WHERE r.premises_id = p.id AND EXISTS (
            SELECT 1 FROM accounts_membership x
            WHERE x.user_id = r.user_id AND x.premises_id = p.id
            AND x.start_date <= %(today)s AND (x.end_date IS NULL OR x.end_date > %(today)s)))
FROM accounts_premises p
LEFT JOIN eps_stockmovement m ON m.premises_id = p.id
LEFT JOIN eps_tokensettings s ON s.premises_id = p.id
WHERE %(everywhere)s OR p.organisation_id = %(organisation)s
GROUP BY p.id, p.name, p.ods_code
"""


def _usage_rows(rng, premises_id, user_id, today, rate, weekly):
    rows, used, week = [], 0, 0
    for offset in range(DAYS - 1, -1, -1):
        day = today - timedelta(days=offset)
        tokens = 0 if day.weekday() == 6 else max(1, round(rate * rng.uniform(0.7, 1.3)))
        if weekly:
            week += tokens
            if day.weekday() == 5 and week:
                rows.append((day, -week, 7))
                used, week = used + week, 0
        elif tokens:
            rows.append((day, -tokens, 1))
            used += tokens
    return [
        StockMovement(
            premises_id=premises_id,
            kind=StockMovement.Kind.USAGE,
            quantity=quantity,
            occurred_on=day,
            period_days=period,
            covers_from=day - timedelta(days=period - 1),
            recorded_by_id=user_id,
        )
        for day, quantity, period in rows
    ], used


def seed_eps_scale():
    """Eight weeks of token usage, orders and PCSE orderers at each of Scale Group 0's
    premises. Bulk inserts; does nothing when the group already has movements."""
    organisation = biggest_group()
    if StockMovement.objects.filter(premises__organisation=organisation).exists():
        return False
    rng = random.Random(6)
    today = timezone.localdate()
    managers = dict(
        Membership.objects.filter(premises__organisation=organisation, is_manager=True)
        .order_by("premises_id", "user_id")
        .values_list("premises_id", "user_id")
    )
    others = dict(
        Membership.objects.filter(premises__organisation=organisation, is_manager=False)
        .order_by("premises_id", "-user_id")
        .values_list("premises_id", "user_id")
    )
    premises_ids = list(
        Premises.objects.filter(organisation=organisation)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    with transaction.atomic():
        movements, orders, orderers, settings_rows = [], [], [], []
        for index, premises_id in enumerate(premises_ids):
            manager = managers[premises_id]
            rate = rng.randint(8, 45)
            usage, used = _usage_rows(rng, premises_id, manager, today, rate, weekly=index % 3 == 0)
            closing = rate * rng.randint(3, 50)
            movements.append(
                StockMovement(
                    premises_id=premises_id,
                    kind=StockMovement.Kind.DELIVERY,
                    quantity=used + closing,
                    occurred_on=today - timedelta(days=DAYS),
                    covers_from=today - timedelta(days=DAYS),
                    recorded_by_id=manager,
                )
            )
            movements.extend(usage)
            if index % 4 == 0:
                late = index % 20 == 0
                orders.append(
                    TokenOrder(
                        premises_id=premises_id,
                        status=TokenOrder.Status.PLACED,
                        packs=2,
                        pack_size=500,
                        requested_by_id=manager,
                        pcse_reference=f"SCALE-{premises_id:07d}",
                        placed_on=today - timedelta(days=12 if late else 3),
                        placed_by_id=manager,
                        expected_delivery_on=today + timedelta(days=-3 if late else 4),
                    )
                )
            elif index % 10 == 1:
                orders.append(
                    TokenOrder(
                        premises_id=premises_id, packs=1, pack_size=500, requested_by_id=manager
                    )
                )
            orderers.append(
                PcseOrderer(premises_id=premises_id, user_id=manager, added_by_id=manager)
            )
            if index % 3:
                orderers.append(
                    PcseOrderer(
                        premises_id=premises_id, user_id=others[premises_id], added_by_id=manager
                    )
                )
            if index % 2:
                settings_rows.append(
                    TokenSettings(premises_id=premises_id, lead_time_days=5 + index % 7)
                )
        StockMovement.objects.bulk_create(movements, batch_size=10_000)
        TokenOrder.objects.bulk_create(orders, batch_size=5_000)
        PcseOrderer.objects.bulk_create(orderers, batch_size=5_000)
        TokenSettings.objects.bulk_create(settings_rows, batch_size=5_000)
    return True


seed = seed_eps_scale


def measure(h):
    organisation = biggest_group()
    n = organisation.premises.count()
    today = timezone.localdate()
    params = {
        "cutoff": today - timedelta(days=selectors.USAGE_WINDOW_DAYS - 1),
        "today": today,
        "organisation": organisation.pk,
        "everywhere": False,
    }

    def floor(everywhere=False):
        with connection.cursor() as cursor:
            cursor.execute(FLOOR_SQL, {**params, "everywhere": everywhere})
            return cursor.fetchall()

    client = h.client_for(head_office_of_biggest_group())
    page_url = reverse("tokens_organisation", args=[organisation.pk])
    csv_url = reverse("tokens_organisation_export", args=[organisation.pk])

    def page():
        h.get_ok(client, page_url)

    def figures():
        selectors.token_figures(Premises.objects.filter(organisation=organisation))

    # What a head office waits for: the sorted page of the group's 2,000 premises.
    h.compare("tokens", n, page, floor)
    h.compare("tokens_selector", n, figures, floor)
    h.compare("tokens_csv", n, lambda: h.get_ok(client, csv_url), floor)
    h.memory("tokens", n, page)

    everywhere = Premises.objects.count()

    def sweep():
        with transaction.atomic():
            services.token_low_stock_sweep()
            transaction.set_rollback(True)  # leave the episode markers as they were

    h.compare("tokens_sweep", everywhere, sweep, lambda: floor(everywhere=True), repeat=5)
