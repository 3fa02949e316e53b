"""The cross-area dashboard, its table and its CSV export at national scale.

Floors: a bare view that renders the same rows from one hand-written query computing a
figure per area for each premises, through the same template engine, without the
portal's selectors.
"""

import csv
import io
from datetime import timedelta

from django.db import connection
from django.template import Context, Template
from django.utils import timezone

from accounts.models import Premises
from benchmarks.scale import biggest_group, head_office_of_biggest_group, portal_admin
from nhsmail.models import ComplianceSnapshot

TREND_WEEKS = 12

FLOOR_SQL = """
SELECT p.id, p.ods_code, p.name,
  (SELECT COUNT(DISTINCT a.user_id)
     FROM nhsmail_sharedmailbox m
     JOIN nhsmail_mailboxlink l ON l.mailbox_id = m.id AND l.unlinked_on IS NULL
     JOIN nhsmail_personalaccount a ON a.id = l.account_id AND a.status = 'live'
          AND a.last_confirmed_on >= %(live_since)s
     JOIN accounts_membership s ON s.user_id = a.user_id AND s.premises_id = p.id
          AND s.start_date <= %(today)s AND (s.end_date IS NULL OR s.end_date > %(today)s)
    WHERE m.premises_id = p.id) AS nhsmail_people,
  (SELECT COUNT(*) FROM smartcards_smartcardrequest r
    WHERE r.premises_id = p.id AND r.status IN ('open', 'claimed')) AS open_requests,
  (SELECT COALESCE(SUM(t.quantity), 0) FROM eps_stockmovement t
    WHERE t.premises_id = p.id) AS stock,
  (SELECT COUNT(*) FROM accounts_membership s
     JOIN records_readinessrecord rr ON rr.membership_id = s.id
    WHERE s.premises_id = p.id AND s.job_role = 'pharmacist'
      AND s.start_date <= %(today)s AND (s.end_date IS NULL OR s.end_date > %(today)s)) AS ready
FROM accounts_premises p
WHERE p.organisation_id = ANY(%(organisations)s) OR %(everything)s
ORDER BY p.name, p.id
"""

FLOOR_TEMPLATE = Template(
    "<table>{% for r in rows %}<tr><td>{{ r.2 }}</td><td>{{ r.1 }}</td><td>{{ r.3 }}</td>"
    "<td>{{ r.4 }}</td><td>{{ r.5 }}</td><td>{{ r.6 }}</td></tr>{% endfor %}</table>"
)


def seed():
    """Twelve weeks of weekly NHSmail snapshots for every scale premises."""
    today = timezone.localdate()
    oldest = today - timedelta(weeks=TREND_WEEKS - 1)
    if ComplianceSnapshot.objects.filter(day=oldest, premises__ods_code__startswith="FS").exists():
        return False
    ids = list(Premises.objects.filter(ods_code__startswith="FS").values_list("id", flat=True))
    statuses = ["green", "green", "green", "amber", "red"]
    for weeks_ago in range(1, TREND_WEEKS):
        day = today - timedelta(weeks=weeks_ago)
        ComplianceSnapshot.objects.bulk_create(
            [
                ComplianceSnapshot(
                    premises_id=pid,
                    day=day,
                    status=statuses[(pid + weeks_ago) % len(statuses)],
                    qualifying_count=3,
                    reason="3 live linked accounts",
                )
                for pid in ids
            ],
            batch_size=5000,
            ignore_conflicts=True,
        )
    return True


def _floor_rows(organisation_ids):
    from nhsmail.rules import counts_as_live_since

    today = timezone.localdate()
    sql = FLOOR_SQL
    params = {
        "today": today,
        "live_since": counts_as_live_since(today),
        "organisations": list(organisation_ids),
        "everything": not organisation_ids,
    }
    if connection.vendor == "sqlite":
        sql = sql.replace(
            "p.organisation_id = ANY(%(organisations)s)", "p.organisation_id IN (%(org_list)s)"
        )
        sql = sql.replace("%(org_list)s", ",".join(str(int(o)) for o in organisation_ids) or "NULL")
        params.pop("organisations")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def measure(h):
    head_office = head_office_of_biggest_group()
    admin = portal_admin()
    group = biggest_group()
    group_size = group.premises.count()
    everything = Premises.objects.count()

    def floor_page(organisation_ids, limit=None):
        def run():
            rows = _floor_rows(organisation_ids)
            FLOOR_TEMPLATE.render(Context({"rows": rows[:limit] if limit else rows}))

        return run

    head_office_client = h.client_for(head_office)
    admin_client = h.client_for(admin)
    h.compare(
        "dashboard",
        group_size,
        lambda: h.get_ok(head_office_client, "/dashboard/"),
        floor_page([group.pk], limit=10),
        repeat=5,
    )
    h.compare(
        "dashboard_all",
        everything,
        lambda: h.get_ok(admin_client, "/dashboard/"),
        floor_page([], limit=10),
        repeat=3,
    )
    h.compare(
        "table",
        group_size,
        lambda: h.get_ok(head_office_client, "/dashboard/premises/?nhsmail=red&sort=tokens"),
        floor_page([group.pk], limit=50),
        repeat=5,
    )

    def floor_export(organisation_ids):
        def run():
            out = io.StringIO()
            writer = csv.writer(out)
            for row in _floor_rows(organisation_ids):
                writer.writerow(row)

        return run

    # A 1,000-premises group and every premises: peak memory should not grow with rows.
    thousand = Premises.objects.filter(organisation__name="Scale Group 2")
    thousand_admin = thousand.first().organisation.admins.first().user
    thousand_client = h.client_for(thousand_admin)
    export_url = "/dashboard/premises/?format=csv"
    h.compare(
        "export",
        thousand.count(),
        lambda: h.get_ok(thousand_client, export_url),
        floor_export([thousand.first().organisation_id]),
        repeat=3,
    )
    h.compare(
        "export", everything, lambda: h.get_ok(admin_client, export_url), floor_export([]), repeat=3
    )
    h.memory("export", thousand.count(), lambda: h.get_ok(thousand_client, export_url))
    h.memory("export", everything, lambda: h.get_ok(admin_client, export_url))
