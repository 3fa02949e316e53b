"""The cross-area dashboard, its table and its CSV export at national scale.

Every page reads the stored standings (accounts.standings), so each floor is the best
hand-written SQL over the same tables giving the same output, rendered or written the
same way:

- dashboard: the premises count, every area's count of premises per level, the
  smartcard, token and readiness figures summed over the stored figures, the worked-out
  time and stale count, the 12-week trend of every area and the NHSmail trend by ICB
  from the daily tallies, rendered in the portal's layout;
- table: the premises in scope with their four standings (one join per area), filtered
  to NHSmail red and sorted by EPS urgency then name, counted for the pager, the first
  page of 50 rendered with level words and reasons;
- export: the same join for every premises in scope, streamed through a server-side
  cursor into csv.writer with the same 12 columns.

Each floor is a bare view (benchmarks/urls.py) requested through the same test client
as the portal's page, so both pass the same middleware (session, sign-in, two-factor,
CSRF, headers) for the same user. The portal's pages also check that the stored
standings are current (two queries) and render the full NHS.UK page with charts; the
floors do neither, so they flatter nobody.
"""

import csv
from datetime import timedelta

from django.db import connection
from django.http import HttpResponse, StreamingHttpResponse
from django.template import RequestContext, Template
from django.test.utils import override_settings
from django.utils import timezone

from accounts import standings
from accounts.models import Premises
from benchmarks.scale import biggest_group, head_office_of_biggest_group, portal_admin
from benchmarks.urls import floor_url

TREND_WEEKS = 12
AREA_KEYS = ("nhsmail", "smartcards", "eps", "records")

HEADLINE_SQL = """
SELECT s.area, s.level, COUNT(*),
  SUM((s.figures->>'certificates_expired')::int) FILTER (WHERE s.area = 'smartcards'),
  SUM((s.figures->>'expiring_30')::int) FILTER (WHERE s.area = 'smartcards'),
  SUM((s.figures->>'expiring_60')::int) FILTER (WHERE s.area = 'smartcards'),
  SUM((s.figures->>'expiring_90')::int) FILTER (WHERE s.area = 'smartcards'),
  SUM((s.figures->>'open_requests')::int) FILTER (WHERE s.area = 'smartcards'),
  SUM((s.figures->>'urgent_requests')::int) FILTER (WHERE s.area = 'smartcards'),
  MIN(s.figures->>'oldest_raised_at') FILTER (WHERE s.area = 'smartcards'),
  COUNT(*) FILTER (WHERE s.area = 'eps' AND (s.figures->'is_low')::boolean),
  COUNT(*) FILTER (WHERE s.area = 'records' AND NOT (s.figures->'has_ready_pharmacist')::boolean),
  MAX(s.worked_out_at), COUNT(*) FILTER (WHERE s.stale)
FROM accounts_premisesstanding s
JOIN accounts_premises p ON p.id = s.premises_id
WHERE {scope}
GROUP BY s.area, s.level
"""

TREND_SQL = """
SELECT t.area, t.day, t.level, SUM(t.premises_count)
FROM accounts_standingtally t
WHERE t.day = ANY(%(days)s) AND {tally_scope}
GROUP BY t.area, t.day, t.level
"""

REGION_TREND_SQL = """
SELECT r.name, t.day, t.level, SUM(t.premises_count)
FROM accounts_standingtally t JOIN accounts_region r ON r.id = t.region_id
WHERE t.area = 'nhsmail' AND t.day = ANY(%(days)s) AND {tally_scope}
GROUP BY r.name, t.day, t.level
"""

ROWS_SQL = """
SELECT p.id, p.ods_code, p.name, o.name, r.name,
  n.level, n.reason, c.level, c.reason, e.level, e.reason, d.level, d.reason
FROM accounts_premises p
JOIN accounts_organisation o ON o.id = p.organisation_id
JOIN accounts_region r ON r.id = p.region_id
LEFT JOIN accounts_premisesstanding n ON n.premises_id = p.id AND n.area = 'nhsmail'
LEFT JOIN accounts_premisesstanding c ON c.premises_id = p.id AND c.area = 'smartcards'
LEFT JOIN accounts_premisesstanding e ON e.premises_id = p.id AND e.area = 'eps'
LEFT JOIN accounts_premisesstanding d ON d.premises_id = p.id AND d.area = 'records'
WHERE {scope} {where}
ORDER BY {order}
"""

# The pager's count needs only the filter's own join.
COUNT_RED_SQL = """
SELECT COUNT(*) FROM accounts_premises p
JOIN accounts_premisesstanding n ON n.premises_id = p.id AND n.area = 'nhsmail'
WHERE {scope} AND n.level = 'red'
"""

URGENCY = "CASE e.level WHEN 'red' THEN 0 WHEN 'amber' THEN 1 WHEN 'green' THEN 2 ELSE 3 END"

# The floors render inside the portal's own layout (header, navigation, footer), through
# a request for the same user, so page furniture costs the same on both sides.
FLOOR_DASHBOARD = Template(
    '{% extends "base.html" %}{% block content %}'
    "<p>{{ premises }} premises</p>{% for area, levels in counts.items %}<h2>{{ area }}</h2>"
    "<ul>{% for level, n in levels.items %}<li>{{ level }} {{ n }}</li>{% endfor %}</ul>"
    "{% endfor %}<ul>{% for figure in figures %}<li>{{ figure }}</li>{% endfor %}</ul>"
    "{% for area, days in trends.items %}<table><caption>{{ area }}</caption>"
    "{% for day, levels in days.items %}<tr><td>{{ day }}</td>{% for n in levels %}"
    "<td>{{ n }}</td>{% endfor %}</tr>{% endfor %}</table>{% endfor %}"
    "{% for region, days in regions.items %}<table><caption>{{ region }}</caption>"
    "{% for day, levels in days.items %}<tr><td>{{ day }}</td>{% for n in levels %}"
    "<td>{{ n }}</td>{% endfor %}</tr>{% endfor %}</table>{% endfor %}{% endblock %}"
)
FLOOR_TABLE = Template(
    '{% extends "base.html" %}{% block content %}'
    "<p>{{ count }} premises</p><table>{% for r in rows %}<tr><td>{{ r.2 }} {{ r.1 }}</td>"
    "<td>{{ r.4 }}</td><td>{{ r.5 }} {{ r.6 }}</td><td>{{ r.7 }} {{ r.8 }}</td>"
    "<td>{{ r.9 }} {{ r.10 }}</td><td>{{ r.11 }} {{ r.12 }}</td></tr>{% endfor %}</table>"
    "{% endblock %}"
)


def seed():
    """Nothing of its own: bench_standings stores every premises' standings and history
    once the areas' scale data is in."""
    return False


def _scope(organisation_ids):
    if not organisation_ids:
        return "TRUE", {}
    return "p.organisation_id = ANY(%(organisations)s)", {"organisations": list(organisation_ids)}


def _fetch(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _floor_dashboard(organisation_ids):
    def view(request):
        scope, params = _scope(organisation_ids)
        today = timezone.localdate()
        days = [today - timedelta(weeks=k) for k in reversed(range(TREND_WEEKS))]
        premises = _fetch(f"SELECT COUNT(*) FROM accounts_premises p WHERE {scope}", params)
        counts, figures = {}, []
        for row in _fetch(HEADLINE_SQL.format(scope=scope), params):
            counts.setdefault(row[0], {})[row[1]] = row[2]
            figures.extend(value for value in row[3:] if value is not None)
        trends = {}
        tally_scope = scope.replace("p.organisation_id", "t.organisation_id")
        trend_sql = TREND_SQL.format(tally_scope=tally_scope)
        for area, day, level, n in _fetch(trend_sql, {**params, "days": days}):
            trends.setdefault(area, {}).setdefault(day, {})[level] = n
        regions = {}
        region_sql = REGION_TREND_SQL.format(tally_scope=tally_scope)
        for region, day, level, n in _fetch(region_sql, {**params, "days": days}):
            regions.setdefault(region, {}).setdefault(day, {})[level] = n
        return HttpResponse(
            FLOOR_DASHBOARD.render(
                RequestContext(
                    request,
                    {
                        "premises": premises[0][0],
                        "counts": counts,
                        "figures": figures,
                        "trends": {
                            area: {day: list(levels.values()) for day, levels in by_day.items()}
                            for area, by_day in trends.items()
                        },
                        "regions": {
                            region: {day: list(levels.values()) for day, levels in by_day.items()}
                            for region, by_day in regions.items()
                        },
                    },
                )
            )
        )

    return view


def _floor_table(organisation_ids):
    def view(request):
        scope, params = _scope(organisation_ids)
        sql = ROWS_SQL.format(
            scope=scope, where="AND n.level = 'red'", order=f"{URGENCY}, p.name, p.id"
        )
        count = _fetch(COUNT_RED_SQL.format(scope=scope), params)[0][0]
        rows = _fetch(sql + " LIMIT 50", params)
        labels = {a.key: a for a in standings.areas()}
        words = [
            (
                *row[:5],
                *(
                    value if index % 2 else labels[AREA_KEYS[index // 2]].label_for(value)
                    for index, value in enumerate(row[5:])
                ),
            )
            for row in rows
        ]
        return HttpResponse(
            FLOOR_TABLE.render(RequestContext(request, {"count": count, "rows": words}))
        )

    return view


class _Line:
    """csv.writer's file: hands each written line back instead of keeping it."""

    def write(self, line):
        return line


def _floor_export(organisation_ids):
    def lines():
        scope, params = _scope(organisation_ids)
        sql = ROWS_SQL.format(scope=scope, where="", order="p.name, p.id")
        labels = [standings.area(key) for key in AREA_KEYS]
        writer = csv.writer(_Line())
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(2000):
                for row in rows:
                    cells = list(row[1:5])
                    for index, area in enumerate(labels):
                        level, reason = row[5 + 2 * index], row[6 + 2 * index]
                        cells += [area.label_for(level), reason]
                    yield writer.writerow(cells)

    def view(request):
        return StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")

    return view


def measure(h):
    if connection.vendor != "postgresql":
        print("bench dashboard skipped: the floors are PostgreSQL SQL", flush=True)
        return
    # The floors are bare views behind the portal's own middleware (benchmarks/urls.py).
    with override_settings(ROOT_URLCONF="benchmarks.urls"):
        _measure(h)


def _measure(h):
    head_office = head_office_of_biggest_group()
    admin = portal_admin()
    group = biggest_group()
    group_size = group.premises.count()
    everything = Premises.objects.count()
    head_office_client = h.client_for(head_office)
    admin_client = h.client_for(admin)
    group_dashboard_floor = floor_url("dashboard-group", _floor_dashboard([group.pk]))
    national_dashboard_floor = floor_url("dashboard-national", _floor_dashboard([]))
    table_floor = floor_url("table-group", _floor_table([group.pk]))
    h.compare(
        "dashboard",
        group_size,
        lambda: h.get_ok(head_office_client, "/dashboard/"),
        lambda: h.get_ok(head_office_client, group_dashboard_floor),
        repeat=7,
    )
    h.compare(
        "dashboard_all",
        everything,
        lambda: h.get_ok(admin_client, "/dashboard/"),
        lambda: h.get_ok(admin_client, national_dashboard_floor),
        repeat=7,
    )
    h.compare(
        "table",
        group_size,
        lambda: h.get_ok(head_office_client, "/dashboard/premises/?nhsmail=red&sort=eps"),
        lambda: h.get_ok(head_office_client, table_floor),
        repeat=7,
    )
    # A 1,000-premises group and every premises: peak memory should not grow with rows.
    thousand = Premises.objects.filter(organisation__name="Scale Group 2")
    thousand_organisation = thousand.first().organisation
    thousand_client = h.client_for(thousand_organisation.admins.first().user)
    export_url = "/dashboard/premises/?format=csv"
    thousand_export_floor = floor_url("export-thousand", _floor_export([thousand_organisation.pk]))
    national_export_floor = floor_url("export-national", _floor_export([]))
    h.compare(
        "export",
        thousand.count(),
        lambda: h.get_ok(thousand_client, export_url),
        lambda: h.get_ok(thousand_client, thousand_export_floor),
        repeat=5,
    )
    h.compare(
        "export",
        everything,
        lambda: h.get_ok(admin_client, export_url),
        lambda: h.get_ok(admin_client, national_export_floor),
        repeat=5,
    )
    h.memory("export", thousand.count(), lambda: h.get_ok(thousand_client, export_url))
    h.memory("export", everything, lambda: h.get_ok(admin_client, export_url))
