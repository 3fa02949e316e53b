"""EPS tokens at national scale: the head-office stock view of "Scale Group 0" (2,000
premises, eight weeks of usage each) and the daily low-stock sweep over every premises.

The figures floor is one hand-written query computing the same figures: stock, the usage
window, settings, open, placed and overdue orders, and PCSE orderers still working there.
The page's floor is a bare view (benchmarks/urls.py) behind the same middleware for the
same head office: the group's stored EPS standings (whose figures the standings keep
current, as the page reads them), sorted as the page's default (days of cover, none
last, then name) with the page's summary counted over every premises by window
functions, the first 50 rendered in the portal's layout. The CSV's floor writes the
same twelve columns for every premises in the same order, from the figures query.
"""

import csv
import random
from datetime import timedelta

from django.db import connection, transaction
from django.http import HttpResponse
from django.template import RequestContext, Template
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts import standings
from accounts.models import Membership, Premises
from benchmarks.scale import biggest_group, head_office_of_biggest_group
from benchmarks.urls import floor_url
from eps import selectors, services
from eps.bank_holidays import order_by_date, run_out_date
from eps.models import PcseOrderer, StockMovement, TokenOrder, TokenSettings

DAYS = 56

FLOOR_SQL = """
SELECT p.id, p.name, p.ods_code,
    COALESCE(SUM(m.quantity), 0) AS stock,
    -COALESCE(SUM(m.quantity) FILTER (
        WHERE m.kind = 'usage' AND m.occurred_on >= %(cutoff)s AND m.occurred_on <= %(today)s
    ), 0) AS usage,
    MIN(m.covers_from) FILTER (
        WHERE m.kind = 'usage' AND m.occurred_on >= %(cutoff)s AND m.occurred_on <= %(today)s
    ) AS first_used,
    MAX(m.occurred_on) FILTER (
        WHERE m.kind = 'usage' AND m.occurred_on >= %(cutoff)s AND m.occurred_on <= %(today)s
    ) AS last_used,
    MAX(s.pack_size) AS pack, MAX(s.lead_time_days) AS lead,
    MAX(s.safety_margin_days) AS margin,
    (SELECT COUNT(*) FROM eps_tokenorder o
        WHERE o.premises_id = p.id AND o.status IN ('draft', 'placed')) AS open_orders,
    (SELECT COUNT(*) FROM eps_tokenorder o
        WHERE o.premises_id = p.id AND o.status = 'placed') AS placed,
    (SELECT COUNT(*) FROM eps_tokenorder o
        WHERE o.premises_id = p.id AND o.status = 'placed'
        AND o.expected_delivery_on < %(today)s) AS overdue,
    (SELECT COUNT(*) FROM eps_pcseorderer r
        WHERE r.premises_id = p.id AND EXISTS (
            SELECT 1 FROM accounts_membership x
            WHERE x.user_id = r.user_id AND x.premises_id = p.id
            AND x.start_date <= %(today)s AND (x.end_date IS NULL OR x.end_date > %(today)s)))
        AS orderers
FROM accounts_premises p
LEFT JOIN eps_stockmovement m ON m.premises_id = p.id
LEFT JOIN eps_tokensettings s ON s.premises_id = p.id
WHERE %(everywhere)s OR p.organisation_id = %(organisation)s
GROUP BY p.id, p.name, p.ods_code
"""


# The page: every premises' stored EPS standing (figures kept current by the standings)
# with the summary over all of them, sorted by days of cover (none last) then name, the
# first page of 50.
PAGE_SQL = """
SELECT p.id, p.name, p.ods_code, (s.figures->>'stock')::int,
  (s.figures->>'days_of_cover')::int, (s.figures->>'open_orders')::int,
  (s.figures->>'orderers')::int, s.level, s.reason,
  COUNT(*) OVER (),
  COUNT(*) FILTER (WHERE (s.figures->'is_low')::boolean) OVER (),
  COUNT(*) FILTER (WHERE (s.figures->>'overdue_orders')::int > 0) OVER (),
  COUNT(*) FILTER (WHERE (s.figures->'too_few_orderers')::boolean) OVER (),
  COUNT(*) FILTER (WHERE NOT (s.figures->'has_usage')::boolean) OVER ()
FROM accounts_premisesstanding s
JOIN accounts_premises p ON p.id = s.premises_id
WHERE s.area = 'eps' AND p.organisation_id = %(organisation)s
ORDER BY (s.figures->>'days_of_cover')::int NULLS LAST, p.name, p.id
LIMIT %(limit)s
"""

# The CSV: the same figures for every premises, in the page's order, with the town.
CSV_SQL = f"""
WITH figures AS ({FLOOR_SQL})
SELECT f.ods_code, f.name, p.town, f.stock, f.usage, (f.last_used - f.first_used) + 1,
  COALESCE(f.lead, 7) + COALESCE(f.margin, 7), f.open_orders, f.overdue, f.orderers
FROM figures f JOIN accounts_premises p ON p.id = f.id
ORDER BY CASE WHEN f.usage > 0 THEN f.stock * ((f.last_used - f.first_used) + 1) / f.usage
  END NULLS LAST, f.name, f.id
"""

PAGE = Template(
    '{% extends "base.html" %}{% block content %}<h1>EPS tokens across the group</h1><ul>'
    "<li>{{ s.0 }} premises</li><li>{{ s.1 }} low on tokens</li><li>{{ s.2 }} with an order "
    "overdue</li><li>{{ s.3 }} with fewer than two</li><li>{{ s.4 }} with no usage</li></ul>"
    "<table>{% for r in rows %}<tr><td><a href='/premises/{{ r.0 }}/tokens/'>{{ r.1 }}</a>"
    "<br>{{ r.2 }}</td><td>{{ r.3 }}</td><td>{{ r.4|default_if_none:'-' }}</td><td>"
    "{{ r.7 }}<br>{{ r.8 }}</td><td>{{ r.5 }}</td><td>{{ r.6 }}</td></tr>{% endfor %}</table>"
    "{% endblock %}"
)


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


def _page_floor(params):
    def view(request):
        with connection.cursor() as cursor:
            cursor.execute(PAGE_SQL, {**params, "limit": 50})
            rows = cursor.fetchall()
        summary = rows[0][9:14] if rows else (0, 0, 0, 0, 0)
        area = standings.area(selectors.AREA)
        rows = [(*row[:7], area.label_for(row[7]), row[8]) for row in rows]
        return HttpResponse(PAGE.render(RequestContext(request, {"rows": rows, "s": summary})))

    return view


def _csv_floor(params):
    today = params["today"]

    def view(request):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        writer = csv.writer(response)
        writer.writerow(["ODS code", "Premises", "Town", "Tokens in stock", "Average daily use",
                         "Days of cover", "Run out", "Order by", "Low", "Open", "Overdue",
                         "Orderers"])  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute(CSV_SQL, params)
            for (
                ods,
                name,
                town,
                stock,
                usage,
                days,
                reorder,
                open_,
                overdue,
                orderers,
            ) in cursor.fetchall():
                if usage > 0:
                    cover = stock * days // usage
                    run_out = run_out_date(today, cover)
                    order_by = order_by_date(run_out, reorder)
                    cells = [f"{usage / days:.1f}", cover, run_out.isoformat(),
                             order_by.isoformat(), "yes" if cover < reorder else "no"]  # fmt: skip
                else:
                    cells = ["no usage recorded", None, "", "", "no"]
                writer.writerow([ods, name, town, stock, *cells, open_, overdue, orderers])
        return response

    return view


def measure(h):
    # The page floors are bare views behind the portal's own middleware (benchmarks/urls.py).
    with override_settings(ROOT_URLCONF="benchmarks.urls"):
        _measure(h)


def _measure(h):
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
    page_floor = floor_url("tokens-page", _page_floor(params))
    csv_floor = floor_url("tokens-csv", _csv_floor(params))

    def page():
        h.get_ok(client, page_url)

    def figures():
        selectors.token_figures(Premises.objects.filter(organisation=organisation))

    # What a head office waits for: the sorted page of the group's 2,000 premises.
    h.compare("tokens", n, page, lambda: h.get_ok(client, page_floor))
    h.compare("tokens_selector", n, figures, floor)
    h.compare(
        "tokens_csv", n, lambda: h.get_ok(client, csv_url), lambda: h.get_ok(client, csv_floor)
    )
    h.memory("tokens", n, page)

    everywhere = Premises.objects.count()

    def sweep():
        with transaction.atomic():
            services.token_low_stock_sweep()
            transaction.set_rollback(True)  # leave the episode markers as they were

    h.compare("tokens_sweep", everywhere, sweep, lambda: floor(everywhere=True), repeat=5)
