"""Every persona's home page and main pages at national scale, each against a bare view.

The personas work in "Scale Group 0" (2,000 premises): a member of staff and the manager
of its first premises, the unlocker covering the whole group (5,000 open requests), the
group's head-office admin, and the portal admin. Each line is one page:

    bench page_<name> n=<rows the page shows or reaches> project_ms floor_ms ratio queries

The floor of each page is a bare view (benchmarks/urls.py) requested through the same
test client, so it passes the same middleware for the same signed-in user and renders
inside the portal's own layout (base.html, with its navigation). It fetches every row
the page shows in ONE hand-written query (what a page needs beyond one list of rows comes
back as json_agg columns of that query), sorts them as the page does, and renders them
with a small template. It checks no permission beyond the middleware's and builds no
model object: what is left of the ratio is the portal's selectors, permission checks,
presenters and its full NHS.UK markup.
"""

import json
from datetime import timedelta

from django.db import connection
from django.http import HttpResponse
from django.template import RequestContext, Template
from django.test.utils import override_settings
from django.utils import timezone

from accounts import standings
from accounts.models import Membership, OrganisationAdmin
from benchmarks.scale import biggest_group, head_office_of_biggest_group, portal_admin
from benchmarks.urls import floor_url

PAGE_SIZE = 50
CURRENT = "m.start_date <= %(today)s AND (m.end_date IS NULL OR m.end_date > %(today)s)"


def seed():
    """Nothing of its own: the areas' modules and bench_standings seed what pages show."""
    return False


def _fetch(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _json(value):
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str) else value


def _bare(body):
    return Template('{% extends "base.html" %}{% block content %}' + body + "{% endblock %}")


def _render(template, request, context):
    return HttpResponse(template.render(RequestContext(request, context)))


def _label(area_key, level):
    return standings.area(area_key).label_for(level) if level else ""


# --- Home pages --------------------------------------------------------------------------

# A member of staff or a manager: each premises they work at with its NHSmail, EPS and
# records standings; their own NHSmail account, card and open requests.
HOME_PERSON_SQL = f"""
SELECT p.id, p.name, p.ods_code, m.job_role, m.is_manager,
  n.level, n.reason, e.level, e.reason, d.level, d.reason,
  (SELECT a.last_confirmed_on FROM nhsmail_personalaccount a WHERE a.user_id = m.user_id),
  (SELECT h.certificate_expires_on FROM smartcards_smartcardholder h WHERE h.user_id = m.user_id),
  (SELECT json_agg(json_build_object('id', r.id, 'kind', r.kind, 'status', r.status,
                                     'claimed_by', c.full_name) ORDER BY r.raised_at)
     FROM smartcards_smartcardrequest r
     JOIN smartcards_smartcardholder h ON h.id = r.holder_id
     LEFT JOIN accounts_user c ON c.id = r.claimed_by_id
     WHERE h.user_id = m.user_id AND r.status IN ('open', 'claimed'))
FROM accounts_membership m
JOIN accounts_premises p ON p.id = m.premises_id
LEFT JOIN accounts_premisesstanding n ON n.premises_id = p.id AND n.area = 'nhsmail'
LEFT JOIN accounts_premisesstanding e ON e.premises_id = p.id AND e.area = 'eps'
LEFT JOIN accounts_premisesstanding d ON d.premises_id = p.id AND d.area = 'records'
WHERE m.user_id = %(user)s AND {CURRENT}
ORDER BY p.name, p.id
"""
HOME_PERSON = _bare(
    "<h1>Hello, {{ user.full_name }}</h1><ul>{% for r in rows %}<li>"
    "<a href='/premises/{{ r.0 }}/'>{{ r.1 }}</a> {{ r.2 }} {{ r.3 }}"
    "{% if r.4 %}, manager{% endif %}</li>{% endfor %}</ul><h2>NHSmail</h2><ul>"
    "{% for r in rows %}<li>{{ r.5 }} {{ r.1 }}: {{ r.6 }}</li>{% endfor %}</ul>"
    "{% if confirmed %}<p>Confirmed {{ confirmed|timesince }} ago</p>{% endif %}"
    "<h2>Records</h2><ul>{% for r in rows %}{% if r.4 %}<li>{{ r.9 }} {{ r.1 }}: {{ r.10 }}"
    "</li>{% endif %}{% endfor %}</ul><h2>EPS tokens</h2><ul>{% for r in rows %}"
    "{% if r.7 != 'green' %}<li>{{ r.7 }} {{ r.1 }}: {{ r.8 }}</li>{% endif %}{% endfor %}"
    "</ul><h2>Smartcards</h2>{% if expires %}<p>Certificates expire {{ expires }}</p>{% endif %}"
    "{% for q in requests %}<p>{{ q.kind }} {{ q.status }} {{ q.claimed_by|default:'' }} "
    "<a href='/smartcards/requests/{{ q.id }}/'>Follow it</a></p>{% endfor %}"
)


def _floor_home_person(user_id):
    def view(request):
        rows = _fetch(HOME_PERSON_SQL, {"user": user_id, "today": timezone.localdate()})
        labelled = [
            (
                *row[:5],
                _label("nhsmail", row[5]),
                row[6],
                _label("eps", row[7]),
                row[8],
                _label("records", row[9]),
                row[10],
            )
            for row in rows
        ]
        first = rows[0] if rows else (None,) * 14
        return _render(
            HOME_PERSON,
            request,
            {
                "rows": labelled,
                "confirmed": first[11],
                "expires": first[12],
                "requests": _json(first[13]),
            },
        )

    return view


# An unlocker: what they cover, and the waiting and urgent counts of their queue.
HOME_UNLOCKER_SQL = """
WITH covered AS (
  SELECT p.id FROM accounts_premises p
  WHERE p.id IN (SELECT premises_id FROM accounts_unlockercover
                 WHERE unlocker_id = %(user)s AND premises_id IS NOT NULL)
     OR p.organisation_id IN (SELECT organisation_id FROM accounts_unlockercover
                 WHERE unlocker_id = %(user)s AND organisation_id IS NOT NULL)
), waiting AS (
  SELECT COUNT(*) AS waiting, COUNT(*) FILTER (WHERE r.urgent) AS urgent
  FROM smartcards_smartcardrequest r WHERE r.status = 'open'
    AND r.premises_id IN (SELECT id FROM covered)
)
SELECT c.premises_id, p.name, p.ods_code, o.name, w.waiting, w.urgent
FROM accounts_unlockercover c
LEFT JOIN accounts_premises p ON p.id = c.premises_id
LEFT JOIN accounts_organisation o ON o.id = c.organisation_id
CROSS JOIN waiting w
WHERE c.unlocker_id = %(user)s
ORDER BY c.id
"""
HOME_UNLOCKER = _bare(
    "<h1>Hello, {{ user.full_name }}</h1><h2>Smartcards</h2><p>{{ waiting }} requests "
    "waiting, {{ urgent }} urgent. <a href='/smartcards/queue/'>Open the queue</a></p>"
    "<h2>Premises you cover</h2><ul>{% for r in rows %}<li>{% if r.0 %}<a href='/premises/"
    "{{ r.0 }}/'>{{ r.1 }} ({{ r.2 }})</a>{% else %}Every premises of {{ r.3 }}{% endif %}"
    "</li>{% endfor %}</ul>"
)


def _floor_home_unlocker(user_id):
    def view(request):
        rows = _fetch(HOME_UNLOCKER_SQL, {"user": user_id})
        waiting, urgent = (rows[0][4], rows[0][5]) if rows else (0, 0)
        return _render(HOME_UNLOCKER, request, {"rows": rows, "waiting": waiting, "urgent": urgent})

    return view


# A head-office admin: their organisations with premises counts (links to each area's
# organisation page); the portal admin: every organisation, and the failed jobs.
HOME_ORGANISATIONS_SQL = """
SELECT o.id, o.name, COUNT(p.id),
  (SELECT json_agg(json_build_object('name', j.job, 'error', j.error))
     FROM (SELECT DISTINCT ON (job) job, state, error FROM jobs_jobrun
           ORDER BY job, queued_at DESC, id DESC) j
     WHERE %(admin)s AND j.state = 'failed')
FROM accounts_organisation o
LEFT JOIN accounts_premises p ON p.organisation_id = o.id
WHERE %(admin)s OR o.id IN (SELECT organisation_id FROM accounts_organisationadmin
                             WHERE user_id = %(user)s)
GROUP BY o.id, o.name
ORDER BY o.name, o.id
"""
HOME_ORGANISATIONS = _bare(
    "<h1>Hello, {{ user.full_name }}</h1>{% for j in jobs %}<p>{{ j.name }} {{ j.error }}"
    "</p>{% endfor %}<h2>Your organisations</h2><ul>{% for r in rows %}<li><a href='/"
    "organisations/{{ r.0 }}/'>{{ r.1 }}</a>: {{ r.2 }} premises</li>{% endfor %}</ul>"
    "{% if not admin %}{% for r in rows %}<p><a href='/organisations/{{ r.0 }}/records/'>SCR "
    "readiness across {{ r.1 }}</a></p><p><a href='/organisations/{{ r.0 }}/smartcards/'>"
    "Smartcards across {{ r.1 }}</a></p>{% endfor %}{% endif %}"
)


def _floor_home_organisations(user_id, admin):
    def view(request):
        rows = _fetch(HOME_ORGANISATIONS_SQL, {"user": user_id, "admin": admin})
        jobs = _json(rows[0][3]) if rows else []
        context = {"rows": rows, "jobs": jobs, "admin": admin}
        return _render(HOME_ORGANISATIONS, request, context)

    return view


# --- A premises' pages -------------------------------------------------------------------

# Premises details and its current staff.
PREMISES_SQL = f"""
SELECT p.name, p.ods_code, p.address_line_1, p.address_line_2, p.town, p.postcode,
  o.name, r.name, u.full_name, u.email, m.job_role, m.is_manager, m.start_date, m.id
FROM accounts_premises p
JOIN accounts_organisation o ON o.id = p.organisation_id
LEFT JOIN accounts_region r ON r.id = p.region_id
LEFT JOIN accounts_membership m ON m.premises_id = p.id AND {CURRENT}
LEFT JOIN accounts_user u ON u.id = m.user_id
WHERE p.id = %(premises)s
ORDER BY u.full_name, m.id
"""
PREMISES = _bare(
    "<span>{{ p.6 }}</span><h1>{{ p.0 }}</h1><dl><dt>ODS code</dt><dd>{{ p.1 }}</dd>"
    "<dt>Address</dt><dd>{{ p.2 }}<br>{{ p.3 }}<br>{{ p.4 }}<br>{{ p.5 }}</dd><dt>ICB</dt>"
    "<dd>{{ p.7 }}</dd></dl><table>{% for r in rows %}<tr><td>{{ r.8 }}<br>{{ r.9 }}</td>"
    "<td>{{ r.10 }}{% if r.11 %} Manager{% endif %}</td><td>{{ r.12|date:'j M Y' }}</td>"
    "<td><a href='/memberships/{{ r.13 }}/role/'>Change role</a></td></tr>{% endfor %}</table>"
)


def _floor_premises(premises_id):
    def view(request):
        rows = _fetch(PREMISES_SQL, {"premises": premises_id, "today": timezone.localdate()})
        return _render(PREMISES, request, {"p": rows[0], "rows": rows})

    return view


# The four standings of a premises, as the dashboard's overview of it shows them.
OVERVIEW_SQL = """
SELECT p.name, p.ods_code, o.name, r.name, s.area, s.level, s.reason, s.worked_out_at
FROM accounts_premises p
JOIN accounts_organisation o ON o.id = p.organisation_id
LEFT JOIN accounts_region r ON r.id = p.region_id
LEFT JOIN accounts_premisesstanding s ON s.premises_id = p.id
WHERE p.id = %(premises)s
ORDER BY s.area
"""
OVERVIEW = _bare(
    "<span>{{ p.2 }} · {{ p.1 }} · {{ p.3 }}</span><h1>{{ p.0 }}</h1><dl>{% for r in rows %}"
    "<dt>{{ r.4 }}</dt><dd>{{ r.5 }} {{ r.6 }}<br>Worked out {{ r.7|date:'j M Y, H:i' }}</dd>"
    "{% endfor %}</dl>"
)


def _floor_overview(premises_id):
    def view(request):
        rows = _fetch(OVERVIEW_SQL, {"premises": premises_id})
        labelled = [(*r[:5], _label(r[4], r[5]), *r[6:]) for r in rows]
        return _render(OVERVIEW, request, {"p": rows[0], "rows": labelled})

    return view


# The NHSmail page: the mailbox, the standing, each current member of staff with their
# account and whether it is linked to the mailbox, and the premises' account requests.
NHSMAIL_SQL = f"""
SELECT p.name, b.address, s.level, s.reason, u.full_name, u.email, m.job_role,
  a.address, a.status, a.last_confirmed_on, l.id IS NOT NULL,
  (SELECT json_agg(json_build_object('name', ru.full_name, 'status', q.status))
     FROM nhsmail_accountrequest q JOIN accounts_user ru ON ru.id = q.user_id
     WHERE q.premises_id = p.id AND q.status <> 'completed')
FROM accounts_premises p
LEFT JOIN nhsmail_sharedmailbox b ON b.premises_id = p.id
LEFT JOIN accounts_premisesstanding s ON s.premises_id = p.id AND s.area = 'nhsmail'
LEFT JOIN accounts_membership m ON m.premises_id = p.id AND {CURRENT}
LEFT JOIN accounts_user u ON u.id = m.user_id
LEFT JOIN nhsmail_personalaccount a ON a.user_id = m.user_id
LEFT JOIN nhsmail_mailboxlink l ON l.account_id = a.id AND l.mailbox_id = b.id
  AND l.unlinked_on IS NULL
WHERE p.id = %(premises)s
ORDER BY u.full_name, m.id
"""
NHSMAIL = _bare(
    "<h1>{{ p.0 }}</h1><p>{{ p.1 }}</p><p>{{ label }} {{ p.3 }}</p><table>{% for r in rows %}"
    "<tr><td>{{ r.4 }}<br>{{ r.5 }}</td><td>{{ r.6 }}</td><td>{{ r.7|default:'' }}</td><td>"
    "{{ r.8|default:'' }} {{ r.9|default:'' }}</td><td>{% if r.10 %}Linked{% else %}Not "
    "linked{% endif %}</td></tr>{% endfor %}</table>{% for q in requests %}<p>{{ q.name }} "
    "{{ q.status }}</p>{% endfor %}"
)


def _floor_nhsmail(premises_id):
    def view(request):
        rows = _fetch(NHSMAIL_SQL, {"premises": premises_id, "today": timezone.localdate()})
        first = rows[0]
        return _render(
            NHSMAIL,
            request,
            {
                "p": first,
                "label": _label("nhsmail", first[2]),
                "rows": rows,
                "requests": _json(first[11]),
            },
        )

    return view


# The smartcards page: who covers the premises, each member of staff with their card,
# the active requests raised there, and the region's Registration Authority.
SMARTCARDS_SQL = f"""
SELECT p.name, u.full_name, h.uuid, h.certificate_expires_on, h.has_cim_email,
  (SELECT json_agg(json_build_object('name', cu.full_name, 'on_site', EXISTS (
            SELECT 1 FROM accounts_membership x WHERE x.user_id = cu.id
            AND x.premises_id = p.id AND x.start_date <= %(today)s
            AND (x.end_date IS NULL OR x.end_date > %(today)s))) ORDER BY cu.full_name)
     FROM accounts_unlockercover c JOIN accounts_user cu ON cu.id = c.unlocker_id
     WHERE cu.is_active AND (c.premises_id = p.id OR c.organisation_id = p.organisation_id)),
  (SELECT json_agg(json_build_object('id', r.id, 'kind', r.kind, 'status', r.status,
            'urgent', r.urgent, 'name', ru.full_name) ORDER BY r.urgent DESC, r.raised_at, r.id)
     FROM smartcards_smartcardrequest r
     JOIN smartcards_smartcardholder rh ON rh.id = r.holder_id
     JOIN accounts_user ru ON ru.id = rh.user_id
     WHERE r.premises_id = p.id AND r.status IN ('open', 'claimed')),
  (SELECT json_agg(json_build_object('name', a.name, 'phone', a.main_phone))
     FROM smartcards_registrationauthority a WHERE a.region_id = p.region_id)
FROM accounts_premises p
LEFT JOIN accounts_membership m ON m.premises_id = p.id AND {CURRENT}
LEFT JOIN accounts_user u ON u.id = m.user_id
LEFT JOIN smartcards_smartcardholder h ON h.user_id = m.user_id
WHERE p.id = %(premises)s
ORDER BY u.full_name, m.id
"""
SMARTCARDS = _bare(
    "<h1>{{ p.0 }}</h1><ul>{% for c in cover %}<li>{{ c.name }}{% if c.on_site %} on site"
    "{% endif %}</li>{% endfor %}</ul><table>{% for r in rows %}<tr><td>{{ r.1 }}</td><td>"
    "{{ r.2|default:'' }}</td><td>{{ r.3|default:'' }}</td><td>{{ r.4 }}</td></tr>{% endfor %}"
    "</table><table>{% for q in requests %}<tr><td>{{ q.name }}</td><td>{{ q.kind }}"
    "{% if q.urgent %} urgent{% endif %}</td><td>{{ q.status }}</td><td><a href='/smartcards/"
    "requests/{{ q.id }}/'>View</a></td></tr>{% endfor %}</table>{% for a in authorities %}"
    "<p>{{ a.name }} {{ a.phone }}</p>{% endfor %}"
)


def _floor_smartcards(premises_id):
    def view(request):
        rows = _fetch(SMARTCARDS_SQL, {"premises": premises_id, "today": timezone.localdate()})
        first = rows[0]
        return _render(
            SMARTCARDS,
            request,
            {
                "p": first,
                "rows": rows,
                "cover": _json(first[5]),
                "requests": _json(first[6]),
                "authorities": _json(first[7]),
            },
        )

    return view


# The tokens page: the stored EPS standing and figures, eight weeks of stock by day for the
# chart and its table, the latest movements, and open and recently closed orders.
TOKENS_SQL = """
SELECT p.name, s.level, s.reason, s.figures,
  (SELECT json_agg(json_build_object('day', d.day, 'stock', d.stock) ORDER BY d.day)
     FROM (SELECT g.day::date AS day, (SELECT COALESCE(SUM(x.quantity), 0)
             FROM eps_stockmovement x
             WHERE x.premises_id = p.id AND x.occurred_on <= g.day) AS stock
           FROM generate_series(%(since)s::date, %(today)s::date, '1 day') g(day)) d),
  (SELECT json_agg(json_build_object('on', v.occurred_on, 'kind', v.kind, 'quantity',
            v.quantity, 'by', vu.full_name) ORDER BY v.occurred_on DESC, v.id DESC)
     FROM (SELECT * FROM eps_stockmovement WHERE premises_id = p.id
           ORDER BY occurred_on DESC, id DESC LIMIT 10) v
     LEFT JOIN accounts_user vu ON vu.id = v.recorded_by_id),
  (SELECT json_agg(json_build_object('id', o.id, 'status', o.status, 'packs', o.packs,
            'reference', o.pcse_reference, 'expected', o.expected_delivery_on) ORDER BY o.id)
     FROM (SELECT * FROM eps_tokenorder WHERE premises_id = p.id
           AND status IN ('draft', 'placed')
           UNION ALL (SELECT * FROM eps_tokenorder WHERE premises_id = p.id
           AND status NOT IN ('draft', 'placed') ORDER BY created_at DESC, id DESC LIMIT 5)) o)
FROM accounts_premises p
LEFT JOIN accounts_premisesstanding s ON s.premises_id = p.id AND s.area = 'eps'
WHERE p.id = %(premises)s
"""
TOKENS = _bare(
    "<h1>{{ p.0 }}</h1><p>{{ label }} {{ p.2 }}</p><ul>{% for k, v in figures.items %}<li>"
    "{{ k }} {{ v }}</li>{% endfor %}</ul><table>{% for d in history %}<tr><td>{{ d.day }}"
    "</td><td>{{ d.stock }}</td></tr>{% endfor %}</table><table>{% for v in movements %}<tr>"
    "<td>{{ v.on }}</td><td>{{ v.kind }}</td><td>{{ v.quantity }}</td><td>{{ v.by }}</td>"
    "</tr>{% endfor %}</table><table>{% for o in orders %}<tr><td><a href='/tokens/orders/"
    "{{ o.id }}/'>{{ o.status }}</a></td><td>{{ o.packs }}</td><td>{{ o.reference|default:'' }}"
    "</td><td>{{ o.expected|default:'' }}</td></tr>{% endfor %}</table>"
)


def _floor_tokens(premises_id):
    def view(request):
        today = timezone.localdate()
        params = {
            "premises": premises_id,
            "today": today,
            "since": today - timedelta(weeks=8),
        }
        row = _fetch(TOKENS_SQL, params)[0]
        return _render(
            TOKENS,
            request,
            {
                "p": row,
                "label": _label("eps", row[1]),
                "figures": _json(row[3]) if row[3] is not None else {},
                "history": _json(row[4]),
                "movements": _json(row[5]),
                "orders": _json(row[6]),
            },
        )

    return view


# --- Pages across premises ---------------------------------------------------------------

GUIDANCE_SQL = """
SELECT slug, area, title, summary, review_by FROM records_guidancepage
WHERE status = 'published' ORDER BY area, title
"""
GUIDANCE = _bare(
    "<h1>Guidance</h1><form><input name='q'></form><ul>{% for r in rows %}<li><a href="
    "'/guidance/{{ r.0 }}/'>{{ r.2 }}</a> {{ r.1 }}<p>{{ r.3 }}</p></li>{% endfor %}</ul>"
)


def _floor_guidance():
    def view(request):
        return _render(GUIDANCE, request, {"rows": _fetch(GUIDANCE_SQL, {})})

    return view


# The unlocker's queue: the first page of 50, urgent first then oldest, with the count.
QUEUE_SQL = """
WITH queue AS (
  SELECT r.* FROM smartcards_smartcardrequest r
  JOIN accounts_premises p ON p.id = r.premises_id
  WHERE r.status IN ('open', 'claimed')
    AND (p.id IN (SELECT premises_id FROM accounts_unlockercover
                   WHERE unlocker_id = %(user)s AND premises_id IS NOT NULL)
      OR p.organisation_id IN (SELECT organisation_id FROM accounts_unlockercover
                   WHERE unlocker_id = %(user)s AND organisation_id IS NOT NULL))
)
SELECT q.id, q.kind, q.urgent, q.raised_at, q.status, u.full_name, p.name, p.ods_code,
  c.full_name, (SELECT COUNT(*) FROM queue)
FROM (SELECT * FROM queue ORDER BY urgent DESC, raised_at, id LIMIT %(limit)s) q
JOIN accounts_premises p ON p.id = q.premises_id
JOIN smartcards_smartcardholder h ON h.id = q.holder_id
JOIN accounts_user u ON u.id = h.user_id
LEFT JOIN accounts_user c ON c.id = q.claimed_by_id
ORDER BY q.urgent DESC, q.raised_at, q.id
"""
QUEUE = _bare(
    "<h1>Queue</h1><p>{{ count }} requests</p><table>{% for r in rows %}<tr><td>{{ r.5 }}"
    "</td><td>{{ r.6 }} {{ r.7 }}</td><td>{{ r.1 }}{% if r.2 %} urgent{% endif %}</td><td>"
    "{{ r.3|timesince }}</td><td>{{ r.4 }} {{ r.8|default:'' }}</td><td><form method='post' "
    "action='/smartcards/requests/{{ r.0 }}/claim/'>{% csrf_token %}<button>Claim</button>"
    "</form></td></tr>{% endfor %}</table>"
)


def _floor_queue(user_id):
    def view(request):
        rows = _fetch(QUEUE_SQL, {"user": user_id, "limit": PAGE_SIZE})
        return _render(QUEUE, request, {"rows": rows, "count": rows[0][9] if rows else 0})

    return view


# Unlocker cover across a head office's premises: no cover first, then cover from
# elsewhere only, then the rest; the first page of 50 with each premises' unlockers.
COVER_SQL = f"""
WITH scoped AS (
  SELECT p.id, p.name, p.ods_code, p.organisation_id FROM accounts_premises p
  WHERE p.organisation_id IN (SELECT organisation_id FROM accounts_organisationadmin
                              WHERE user_id = %(user)s)
), covers AS (
  SELECT c.premises_id, c.organisation_id, u.id AS unlocker_id, u.full_name
  FROM accounts_unlockercover c JOIN accounts_user u ON u.id = c.unlocker_id AND u.is_active
  WHERE c.premises_id IN (SELECT id FROM scoped)
     OR c.organisation_id IN (SELECT DISTINCT organisation_id FROM scoped)
), counted AS (
  SELECT s.*, COUNT(c.unlocker_id) AS unlockers, COALESCE(BOOL_OR(EXISTS (
      SELECT 1 FROM accounts_membership m WHERE m.user_id = c.unlocker_id
      AND m.premises_id = s.id AND {CURRENT})), FALSE) AS on_site
  FROM scoped s LEFT JOIN covers c
    ON c.premises_id = s.id OR c.organisation_id = s.organisation_id
  GROUP BY s.id, s.name, s.ods_code, s.organisation_id
), page AS (
  SELECT *, COUNT(*) OVER () AS total FROM counted
  ORDER BY unlockers, on_site, name, id LIMIT %(limit)s
)
SELECT g.id, g.name, g.ods_code, o.name, g.unlockers, g.on_site,
  (SELECT json_agg(json_build_object('name', c.full_name, 'on_site', EXISTS (
            SELECT 1 FROM accounts_membership m WHERE m.user_id = c.unlocker_id
            AND m.premises_id = g.id AND {CURRENT})) ORDER BY c.full_name)
     FROM covers c WHERE c.premises_id = g.id OR c.organisation_id = g.organisation_id),
  g.total
FROM page g JOIN accounts_organisation o ON o.id = g.organisation_id
ORDER BY g.unlockers, g.on_site, g.name, g.id
"""
COVER = _bare(
    "<h1>Unlocker cover</h1><p>{{ count }} premises</p><table>{% for r in rows %}<tr><td>"
    "<a href='/premises/{{ r.0 }}/smartcards/'>{{ r.1 }}</a> {{ r.2 }}</td><td>{{ r.3 }}</td>"
    "<td>{% for u in r.6 %}{{ u.name }}{% if u.on_site %} (on site){% endif %} {% empty %}"
    "No cover{% endfor %}</td></tr>{% endfor %}</table>"
)


def _floor_cover(user_id):
    def view(request):
        params = {"user": user_id, "today": timezone.localdate(), "limit": PAGE_SIZE}
        rows = [(*r[:6], _json(r[6]), r[7]) for r in _fetch(COVER_SQL, params)]
        return _render(COVER, request, {"rows": rows, "count": rows[0][7] if rows else 0})

    return view


# My smartcard: the card, and the holder's requests, newest first.
MY_CARD_SQL = """
SELECT h.id, h.uuid, h.certificate_expires_on, h.has_cim_email, r.id, r.kind, r.status,
  r.raised_at, p.name, c.full_name
FROM smartcards_smartcardholder h
LEFT JOIN smartcards_smartcardrequest r ON r.holder_id = h.id
LEFT JOIN accounts_premises p ON p.id = r.premises_id
LEFT JOIN accounts_user c ON c.id = r.claimed_by_id
WHERE h.user_id = %(user)s
ORDER BY r.raised_at DESC, r.id DESC
"""
MY_CARD = _bare(
    "<h1>My smartcard</h1>{% if card %}<dl><dt>UUID</dt><dd>{{ card.1 }}</dd><dt>Expires</dt>"
    "<dd>{{ card.2 }}</dd><dt>Email</dt><dd>{{ card.3 }}</dd></dl>{% endif %}<table>"
    "{% for r in rows %}{% if r.4 %}<tr><td><a href='/smartcards/requests/{{ r.4 }}/'>"
    "{{ r.5 }}</a></td><td>{{ r.6 }} {{ r.9|default:'' }}</td><td>{{ r.7|timesince }}</td>"
    "<td>{{ r.8 }}</td></tr>{% endif %}{% endfor %}</table>"
)


def _floor_my_card(user_id):
    def view(request):
        rows = _fetch(MY_CARD_SQL, {"user": user_id})
        return _render(MY_CARD, request, {"card": rows[0] if rows else None, "rows": rows})

    return view


# --- Measure -----------------------------------------------------------------------------


def personas():
    """{persona: user} and the premises their pages are about (the group's first)."""
    from benchmarks.bench_smartcards import scale_unlocker

    group = biggest_group()
    premises = group.premises.order_by("pk").first()
    working = Membership.objects.filter(premises=premises).select_related("user")
    staff = working.filter(is_manager=False).order_by("user_id").first().user
    manager = working.filter(is_manager=True).order_by("user_id").first().user
    return premises, {
        "staff": staff,
        "manager": manager,
        "unlocker": scale_unlocker(),
        "head_office": head_office_of_biggest_group(),
        "admin": portal_admin(),
    }


def pages():
    """[(line name, persona, portal URL, floor view, n)]: every page measured."""
    premises, people = personas()
    pk = premises.pk
    staff_at = Membership.objects.filter(premises=premises).count()
    group_size = premises.organisation.premises.count()
    admins_of = OrganisationAdmin.objects.filter(user=people["head_office"]).count()
    return [
        ("home_staff", "staff", "/", _floor_home_person(people["staff"].pk), 1),
        ("home_manager", "manager", "/", _floor_home_person(people["manager"].pk), 1),
        ("home_unlocker", "unlocker", "/", _floor_home_unlocker(people["unlocker"].pk), 1),
        (
            "home_head_office",
            "head_office",
            "/",
            _floor_home_organisations(people["head_office"].pk, admin=False),
            admins_of,
        ),
        ("home_admin", "admin", "/", _floor_home_organisations(people["admin"].pk, True), 0),
        ("premises", "staff", f"/premises/{pk}/", _floor_premises(pk), staff_at),
        ("premises_manager", "manager", f"/premises/{pk}/", _floor_premises(pk), staff_at),
        ("overview", "manager", f"/premises/{pk}/overview/", _floor_overview(pk), 4),
        ("nhsmail", "staff", f"/premises/{pk}/nhsmail/", _floor_nhsmail(pk), staff_at),
        ("nhsmail_manager", "manager", f"/premises/{pk}/nhsmail/", _floor_nhsmail(pk), staff_at),
        ("smartcards", "staff", f"/premises/{pk}/smartcards/", _floor_smartcards(pk), staff_at),
        (
            "smartcards_manager",
            "manager",
            f"/premises/{pk}/smartcards/",
            _floor_smartcards(pk),
            staff_at,
        ),
        ("tokens", "staff", f"/premises/{pk}/tokens/", _floor_tokens(pk), 56),
        ("tokens_manager", "manager", f"/premises/{pk}/tokens/", _floor_tokens(pk), 56),
        ("guidance", "staff", "/guidance/", _floor_guidance(), 0),
        ("my_card", "staff", "/smartcards/my-card/", _floor_my_card(people["staff"].pk), 1),
        ("queue", "unlocker", "/smartcards/queue/", _floor_queue(people["unlocker"].pk), 5000),
        ("cover", "head_office", "/smartcards/cover/", _floor_cover(people["head_office"].pk),
         group_size),
    ]  # fmt: skip


def measure(h):
    if connection.vendor != "postgresql":
        print("bench pages skipped: the floors are PostgreSQL SQL", flush=True)
        return
    with override_settings(ROOT_URLCONF="benchmarks.urls"):
        _measure(h)


def _measure(h):
    _, people = personas()
    clients = {persona: h.client_for(user) for persona, user in people.items()}
    for name, persona, url, view, n in pages():
        client = clients[persona]
        floor = floor_url(f"page-{name.replace('_', '-')}", view)
        # The count is a page's own: not the session refresh a request makes once a minute.
        h.get_ok(client, url)
        h.compare(
            f"page_{name}",
            n,
            lambda client=client, url=url: h.get_ok(client, url),
            lambda client=client, floor=floor: h.get_ok(client, floor),
        )
