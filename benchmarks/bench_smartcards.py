"""The unlockers' queue at national scale: 5,000 open requests across the 2,000 premises of
"Scale Group 0", worked by one unlocker covering the whole group.

Floor: the same first page from two hand-written queries (the count and the page of 50,
urgent first then oldest, scoped to the premises the unlocker covers), served as a bare
view through the same test client and middleware for the same signed-in unlocker: the
page inside the portal's layout, the rows (the table the page fetches every 15 seconds)
as a bare table.
"""

from datetime import timedelta

from django.db import connection, transaction
from django.http import HttpResponse
from django.template import RequestContext, Template
from django.test.utils import override_settings
from django.utils import timezone

from accounts.models import Membership, UnlockerCover, User
from benchmarks.scale import SCALE_EMAIL_DOMAIN, biggest_group
from benchmarks.urls import floor_url
from smartcards.models import SmartcardHolder, SmartcardRequest

OPEN_REQUESTS = 5_000
PAGE = 50
UNLOCKER_EMAIL = f"unlocker@{SCALE_EMAIL_DOMAIN}"

COUNT_SQL = """
SELECT COUNT(*) FROM smartcards_smartcardrequest r
JOIN accounts_premises p ON p.id = r.premises_id
WHERE r.status IN ('open', 'claimed')
  AND (p.id IN (SELECT premises_id FROM accounts_unlockercover
                 WHERE unlocker_id = %(unlocker)s AND premises_id IS NOT NULL)
    OR p.organisation_id IN (SELECT organisation_id FROM accounts_unlockercover
                 WHERE unlocker_id = %(unlocker)s AND organisation_id IS NOT NULL))
"""

PAGE_SQL = """
SELECT r.id, r.kind, r.urgent, r.raised_at, r.status, u.full_name, p.name, p.ods_code,
       c.full_name
FROM smartcards_smartcardrequest r
JOIN accounts_premises p ON p.id = r.premises_id
JOIN smartcards_smartcardholder h ON h.id = r.holder_id
JOIN accounts_user u ON u.id = h.user_id
LEFT JOIN accounts_user c ON c.id = r.claimed_by_id
WHERE r.status IN ('open', 'claimed')
  AND (p.id IN (SELECT premises_id FROM accounts_unlockercover
                 WHERE unlocker_id = %(unlocker)s AND premises_id IS NOT NULL)
    OR p.organisation_id IN (SELECT organisation_id FROM accounts_unlockercover
                 WHERE unlocker_id = %(unlocker)s AND organisation_id IS NOT NULL))
ORDER BY r.urgent DESC, r.raised_at, r.id
LIMIT %(limit)s
"""

FLOOR_TEMPLATE = Template(
    "<p>{{ count }} requests</p><table>{% for r in rows %}<tr><td>{{ r.5 }}</td>"
    "<td>{{ r.6 }} {{ r.7 }}</td><td>{{ r.1 }}{% if r.2 %} urgent{% endif %}</td>"
    "<td>{{ r.3|timesince }}</td><td>{{ r.4 }} {{ r.8|default:'' }}</td>"
    "<td><form method='post'>{% csrf_token %}<button>Claim</button></form></td></tr>"
    "{% endfor %}</table>"
)
# The page: the same table inside the portal's layout (base.html, with its navigation).
FLOOR_PAGE = Template(
    '{% extends "base.html" %}{% block content %}<h1>Queue</h1>'
    + FLOOR_TEMPLATE.source
    + "{% endblock %}"
)


def scale_unlocker():
    return User.objects.get(email=UNLOCKER_EMAIL)


@transaction.atomic
def seed_smartcards_scale():
    """Cards for everyone working in Scale Group 0, 5,000 open requests from its premises,
    and an unlocker covering the group. Idempotent: does nothing once the unlocker exists."""
    if User.objects.filter(email=UNLOCKER_EMAIL).exists():
        return False
    group = biggest_group()
    unlocker = User.objects.create(email=UNLOCKER_EMAIL, full_name="Scale Unlocker")
    unlocker.set_unusable_password()
    unlocker.save()
    UnlockerCover.objects.create(unlocker=unlocker, organisation=group)

    today = timezone.localdate()
    staff = list(
        Membership.objects.filter(premises__organisation=group)
        .order_by("premises_id", "user_id")
        .values_list("user_id", "premises_id")
    )
    SmartcardHolder.objects.bulk_create(
        [
            SmartcardHolder(
                user_id=user_id,
                uuid=f"{700000000000 + user_id:012d}",
                certificate_expires_on=today + timedelta(days=(user_id * 37) % 730 - 30),
                has_cim_email=user_id % 3 != 0,
            )
            for user_id, _ in staff
        ],
        batch_size=5000,
        ignore_conflicts=True,
    )
    holder_ids = dict(
        SmartcardHolder.objects.filter(user_id__in=[u for u, _ in staff]).values_list(
            "user_id", "id"
        )
    )
    now = timezone.now()
    # Spread over every premises first, then around again: 2 or 3 per premises.
    by_premises = {}
    for user_id, premises_id in staff:
        by_premises.setdefault(premises_id, []).append(user_id)
    picks = []
    slot = 0
    while len(picks) < OPEN_REQUESTS:
        for premises_id, people in by_premises.items():
            if slot < len(people) and len(picks) < OPEN_REQUESTS:
                picks.append((people[slot], premises_id))
        slot += 1
    requests = []
    for index, (user_id, premises_id) in enumerate(picks):
        raised_at = now - timedelta(minutes=(index * 7) % (60 * 24 * 3))
        claimed = index % 5 == 0
        requests.append(
            SmartcardRequest(
                kind=SmartcardRequest.Kind.UNLOCK if index % 4 else SmartcardRequest.Kind.RENEW,
                holder_id=holder_ids[user_id],
                premises_id=premises_id,
                raised_by_id=user_id,
                raised_at=raised_at,
                waiting_since=raised_at,
                escalated_at=raised_at,
                urgent=index % 9 == 0,
                status=SmartcardRequest.Status.CLAIMED if claimed else SmartcardRequest.Status.OPEN,
                claimed_by=unlocker if claimed else None,
                claimed_at=raised_at if claimed else None,
            )
        )
    SmartcardRequest.objects.bulk_create(requests, batch_size=5000)
    if connection.vendor == "postgresql":
        # Planner statistics, as a database that grew normally would have them.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE smartcards_smartcardholder, smartcards_smartcardrequest")
    return True


def seed():
    return seed_smartcards_scale()


def measure(h):
    # The floors are bare views behind the portal's own middleware (benchmarks/urls.py).
    with override_settings(ROOT_URLCONF="benchmarks.urls"):
        _measure(h)


def _floor_view(template):
    """A bare view: the count and the page from the two queries, rendered by `template`
    for the signed-in unlocker (request.user, as the portal's view reads it)."""

    def view(request):
        params = {"unlocker": request.user.pk, "limit": PAGE}
        with connection.cursor() as cursor:
            cursor.execute(COUNT_SQL, params)
            (count,) = cursor.fetchone()
            cursor.execute(PAGE_SQL, params)
            rows = cursor.fetchall()
        return HttpResponse(
            template.render(RequestContext(request, {"rows": rows, "count": count}))
        )

    return view


def _measure(h):
    unlocker = scale_unlocker()
    client = h.client_for(unlocker)
    params = {"unlocker": unlocker.pk, "limit": PAGE}
    with connection.cursor() as cursor:
        cursor.execute(COUNT_SQL, params)
        (total,) = cursor.fetchone()
    page = floor_url("queue", _floor_view(FLOOR_PAGE))
    rows = floor_url("queue-rows", _floor_view(FLOOR_TEMPLATE))
    h.compare(
        "queue",
        total,
        lambda: h.get_ok(client, "/smartcards/queue/"),
        lambda: h.get_ok(client, page),
    )
    # What every open queue page fetches again every 15 seconds: the table alone.
    h.compare(
        "queue_rows",
        total,
        lambda: h.get_ok(client, "/smartcards/queue/rows/"),
        lambda: h.get_ok(client, rows),
    )
