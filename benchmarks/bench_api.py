"""The head-office API's list endpoints at national scale, each against a bare view.

A head-office admin's API token for "Scale Group 0" (2,000 premises and their staff)
asks each list endpoint for its first page and for its last page (the deepest a nightly
sync reaches; offsets make it the dearest), 100 rows a page as the API gives by default:

    bench api_<endpoint>_first n=<rows in the list> project_ms floor_ms ratio queries
    bench api_<endpoint>_deep  n=<rows in the list> ...

Each floor is a bare view (benchmarks/urls.py) requested through the same test client
with the same `Authorization: Bearer` header, behind the same middleware. It checks the
token in one hand-written query (hash, revoked, expired, its admin still active and
still managing the organisation), then builds the whole page, its rows in the API's
shape and the total count, in ONE hand-written query whose JSON it returns as it is.
The EPS stock list works out the same figures per premises (correlated sums over the
stock ledger and the order counts, then the days-of-cover rule of eps.cover).
"""

import hashlib
import json
from datetime import timedelta
from unittest import mock

from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from accounts import standings
from api.throttling import ApiTokenRateThrottle
from benchmarks.scale import biggest_group, head_office_of_biggest_group
from benchmarks.urls import floor_url
from eps import cover
from eps.models import default_settings

PAGE_SIZE = 100
TOKEN_NAME = "Bench nightly sync"


def seed():
    """Nothing of its own: the areas' modules seed what the API lists."""
    return False


def _fetch(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# --- The token check every floor makes ---------------------------------------------------

TOKEN_SQL = """
SELECT t.id, t.organisation_id, t.created_by_id, t.last_used_at
FROM pharmacy_portal_apitoken t JOIN accounts_user u ON u.id = t.created_by_id
WHERE t.token_hash = %(hash)s AND t.revoked_at IS NULL AND t.expires_at > now()
  AND u.is_active AND EXISTS (SELECT 1 FROM accounts_organisationadmin a
    WHERE a.user_id = u.id AND a.organisation_id = t.organisation_id)
"""


def _token(request):
    """(organisation id, user id) of a valid bearer token, or None; touched once a minute
    as the portal touches it."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    keyword, _, token = header.partition(" ")
    if keyword.lower() != "bearer" or not token:
        return None
    rows = _fetch(TOKEN_SQL, {"hash": hashlib.sha256(token.encode()).hexdigest()})
    if not rows:
        return None
    token_id, organisation_id, user_id, last_used_at = rows[0]
    now = timezone.now()
    # The portal's throttle: the token's recent calls read and written back in the cache.
    key = f"bench-throttle-{token_id}"
    history = [t for t in cache.get(key, []) if t > now.timestamp() - 60]
    cache.set(key, [now.timestamp(), *history], 60)
    if last_used_at is None or now - last_used_at >= timedelta(minutes=1):
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE pharmacy_portal_apitoken SET last_used_at = %s WHERE id = %s",
                [now, token_id],
            )
    return organisation_id, user_id


def _page_params(request):
    page = int(request.GET.get("page", "1"))
    return page, {"limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE}


def _links(request, page, count):
    def link(number):
        return request.build_absolute_uri(f"{request.path}?page={number}")

    last = max(1, -(-count // PAGE_SIZE))
    return (link(page + 1) if page < last else None), (link(page - 1) if page > 1 else None)


def _json_floor(sql):
    """A floor whose one query returns (count, [rows as JSON]) for the page."""

    def view(request):
        token = _token(request)
        if token is None:
            return JsonResponse({"detail": "This API token is not valid"}, status=401)
        page, params = _page_params(request)
        count, results = _fetch(sql, {**params, "organisation": token[0]})[0]
        next_url, previous_url = _links(request, page, count)
        body = (
            f'{{"count": {count}, "next": {json.dumps(next_url)}, '
            f'"previous": {json.dumps(previous_url)}, "results": {results or "[]"}}}'
        )
        return HttpResponse(body, content_type="application/json")

    return login_not_required(view)


def _page_of(columns, listed, joins=""):
    """SQL for one page of `listed` (FROM ... WHERE ... giving the listed rows `r`, by
    r.id) as a JSON array of objects with `columns`, and the count of all of them. The
    count and the page's ids read only `listed`; only the page's own rows are joined
    (`joins`: what the columns read beside `r`) and built as JSON."""
    where = listed.index(" WHERE ")
    return f"""
    WITH page AS (SELECT r.id {listed} ORDER BY r.id LIMIT %(limit)s OFFSET %(offset)s)
    SELECT (SELECT COUNT(*) {listed}),
      (SELECT json_agg(json_build_object({columns}) ORDER BY r.id)
         {listed[:where]} {joins} WHERE r.id IN (SELECT id FROM page))
    """


CURRENT = "m.start_date <= CURRENT_DATE AND (m.end_date IS NULL OR m.end_date > CURRENT_DATE)"

PREMISES_SQL = """
WITH page AS (
  SELECT p.id FROM accounts_premises p WHERE p.organisation_id = %(organisation)s
  ORDER BY p.id LIMIT %(limit)s OFFSET %(offset)s
)
SELECT (SELECT COUNT(*) FROM accounts_premises WHERE organisation_id = %(organisation)s),
  (SELECT json_agg(json_build_object('id', p.id, 'ods_code', p.ods_code, 'name', p.name,
      'address_line_1', p.address_line_1, 'address_line_2', p.address_line_2,
      'town', p.town, 'postcode', p.postcode, 'region', g.name,
      'compliance', (SELECT json_object_agg(s.area, json_build_object(
          'status', s.level, 'reason', s.reason, 'worked_out_at', s.worked_out_at,
          'stale', s.stale, 'figures', s.figures))
        FROM accounts_premisesstanding s WHERE s.premises_id = p.id)) ORDER BY p.id)
   FROM accounts_premises p LEFT JOIN accounts_region g ON g.id = p.region_id
   WHERE p.id IN (SELECT id FROM page))
"""

# The API's name for each area and the figures it gives, as api.selectors names them.
AREA_NAMES = {"nhsmail": "nhsmail", "smartcards": "smartcards", "eps": "eps_tokens",
              "records": "scr_ncrs"}  # fmt: skip
AREA_FIGURES = {
    "nhsmail": {"qualifying_people": "qualifying_people"},
    "smartcards": {
        "open_requests": "open_requests",
        "urgent_requests": "urgent_requests",
        "certificates_expired": "certificates_expired",
        "certificates_expiring_90_days": "expiring_90",
    },
    "eps": {"stock": "stock", "days_of_cover": "days_of_cover", "open_orders": "open_orders"},
    "records": {
        "ready_staff": "ready_staff_count",
        "eligible_staff": "eligible_staff_count",
        "has_ready_pharmacist": "has_ready_pharmacist",
    },
}


def _premises_floor():
    """The premises list: each premises' standings shaped as the API shapes them (the
    label from the area's level words, its figures under the API's names)."""

    def view(request):
        token = _token(request)
        if token is None:
            return JsonResponse({"detail": "This API token is not valid"}, status=401)
        page, params = _page_params(request)
        count, results = _fetch(PREMISES_SQL, {**params, "organisation": token[0]})[0]
        results = json.loads(results) if isinstance(results, str) else results or []
        for premises in results:
            compliance = {}
            for area_key, stored in (premises["compliance"] or {}).items():
                figures = stored.pop("figures")
                compliance[AREA_NAMES[area_key]] = {
                    **stored,
                    "label": standings.area(area_key).label_for(stored["status"]),
                    **{api: figures.get(name) for api, name in AREA_FIGURES[area_key].items()},
                }
            premises["compliance"] = compliance
        next_url, previous_url = _links(request, page, count)
        return JsonResponse(
            {"count": count, "next": next_url, "previous": previous_url, "results": results}
        )

    return login_not_required(view)


ORGANISATION_PREMISES = (
    "(SELECT id FROM accounts_premises WHERE organisation_id = %(organisation)s)"
)

MEMBERSHIPS_SQL = _page_of(
    "'id', r.id, 'email', u.email, 'full_name', u.full_name, 'premises', r.premises_id, "
    "'premises_ods_code', p.ods_code, 'job_role', r.job_role, 'is_manager', r.is_manager, "
    "'start_date', r.start_date, 'end_date', r.end_date",
    f"FROM accounts_membership r WHERE r.premises_id IN {ORGANISATION_PREMISES}",
    "JOIN accounts_premises p ON p.id = r.premises_id JOIN accounts_user u ON u.id = r.user_id",
)

ACCOUNTS_SQL = _page_of(
    "'id', r.id, 'email', u.email, 'address', r.address, 'status', r.status, "
    "'last_confirmed_on', r.last_confirmed_on, 'updated_at', r.updated_at",
    "FROM nhsmail_personalaccount r WHERE EXISTS (SELECT 1 FROM accounts_membership m "
    f"WHERE m.user_id = r.user_id AND {CURRENT} AND m.premises_id IN {ORGANISATION_PREMISES})",
    "JOIN accounts_user u ON u.id = r.user_id",
)

LINKS_SQL = _page_of(
    "'id', r.id, 'account', r.account_id, 'account_address', a.address, 'email', u.email, "
    "'mailbox', b.address, 'premises', b.premises_id, 'linked_on', r.linked_on, "
    "'unlinked_on', r.unlinked_on",
    "FROM nhsmail_mailboxlink r WHERE r.mailbox_id IN (SELECT id FROM nhsmail_sharedmailbox "
    f"WHERE premises_id IN {ORGANISATION_PREMISES})",
    "JOIN nhsmail_sharedmailbox b ON b.id = r.mailbox_id "
    "JOIN nhsmail_personalaccount a ON a.id = r.account_id "
    "JOIN accounts_user u ON u.id = a.user_id",
)

REQUESTS_SQL = _page_of(
    "'id', r.id, 'kind', r.kind, 'status', r.status, 'premises', r.premises_id, "
    "'holder_email', u.email, 'urgent', r.urgent, 'raised_at', r.raised_at, "
    "'claimed_at', r.claimed_at, 'closed_at', r.closed_at",
    f"FROM smartcards_smartcardrequest r WHERE r.premises_id IN {ORGANISATION_PREMISES}",
    "JOIN smartcards_smartcardholder h ON h.id = r.holder_id "
    "JOIN accounts_user u ON u.id = h.user_id",
)

ORDERS_SQL = _page_of(
    "'id', r.id, 'premises', r.premises_id, 'status', r.status, 'packs', r.packs, "
    "'pack_size', r.pack_size, 'pcse_reference', r.pcse_reference, "
    "'created_at', r.created_at, 'placed_on', r.placed_on, "
    "'expected_delivery_on', r.expected_delivery_on, 'received_on', r.received_on, "
    "'cancelled_at', r.cancelled_at",
    f"FROM eps_tokenorder r WHERE r.premises_id IN {ORGANISATION_PREMISES}",
)

STOCK_SQL = """
WITH page AS (
  SELECT p.id FROM accounts_premises p WHERE p.organisation_id = %(organisation)s
  ORDER BY p.id LIMIT %(limit)s OFFSET %(offset)s
)
SELECT p.id, p.ods_code,
  (SELECT COALESCE(SUM(x.quantity), 0) FROM eps_stockmovement x WHERE x.premises_id = p.id),
  (SELECT -COALESCE(SUM(x.quantity), 0) FROM eps_stockmovement x WHERE x.premises_id = p.id
     AND x.kind = 'usage' AND x.occurred_on BETWEEN %(cutoff)s AND %(today)s),
  (SELECT MIN(x.covers_from) FROM eps_stockmovement x WHERE x.premises_id = p.id
     AND x.kind = 'usage' AND x.occurred_on BETWEEN %(cutoff)s AND %(today)s),
  (SELECT MAX(x.occurred_on) FROM eps_stockmovement x WHERE x.premises_id = p.id
     AND x.kind = 'usage' AND x.occurred_on BETWEEN %(cutoff)s AND %(today)s),
  s.lead_time_days, s.safety_margin_days,
  (SELECT COUNT(*) FROM eps_tokenorder o WHERE o.premises_id = p.id
     AND o.status IN ('draft', 'placed')),
  (SELECT COUNT(*) FROM eps_tokenorder o WHERE o.premises_id = p.id AND o.status = 'placed'),
  (SELECT COUNT(*) FROM accounts_premises c WHERE c.organisation_id = %(organisation)s)
FROM accounts_premises p LEFT JOIN eps_tokensettings s ON s.premises_id = p.id
WHERE p.id IN (SELECT id FROM page)
ORDER BY p.id
"""


def _stock_floor():
    """The EPS stock list: each premises' figures worked out from the ledger, as
    eps.selectors.token_figures does, then the days-of-cover rule (eps.cover)."""

    def view(request):
        token = _token(request)
        if token is None:
            return JsonResponse({"detail": "This API token is not valid"}, status=401)
        page, params = _page_params(request)
        today = timezone.localdate()
        cutoff = today - timedelta(days=cover.USAGE_WINDOW_DAYS - 1)
        rows = _fetch(
            STOCK_SQL, {**params, "organisation": token[0], "today": today, "cutoff": cutoff}
        )
        defaults = default_settings()
        results = []
        for pk, ods, stock, used, used_from, used_to, lead, margin, open_, placed, _ in rows:
            days = cover.usage_days(used, used_from, used_to)
            days_of_cover = cover.days_of_cover(stock, used, days)
            reorder = cover.reorder_days(
                lead or defaults["lead_time_days"],
                defaults["safety_margin_days"] if margin is None else margin,
            )
            results.append(
                {
                    "premises": pk,
                    "ods_code": ods,
                    "stock": stock,
                    "days_of_cover": days_of_cover,
                    "reorder_level": cover.reorder_level(used, days, reorder),
                    "is_low": cover.is_low(days_of_cover, reorder),
                    "open_orders": open_,
                    "placed_orders": placed,
                }
            )
        count = rows[0][-1] if rows else 0
        next_url, previous_url = _links(request, page, count)
        return JsonResponse(
            {"count": count, "next": next_url, "previous": previous_url, "results": results}
        )

    return login_not_required(view)


# --- Measure -----------------------------------------------------------------------------


def endpoints(organisation):
    """[(endpoint, portal path, floor view, rows in the list)]."""
    from accounts.models import Membership, Premises
    from eps.models import TokenOrder
    from nhsmail.models import MailboxLink, PersonalAccount
    from smartcards.models import SmartcardRequest

    premises = Premises.objects.filter(organisation=organisation)
    current = Membership.objects.current().filter(premises__organisation=organisation)
    return [
        ("premises", "/api/v1/premises/", _premises_floor(), premises.count()),
        ("memberships", "/api/v1/memberships/", _json_floor(MEMBERSHIPS_SQL),
         Membership.objects.filter(premises__organisation=organisation).count()),
        ("nhsmail_accounts", "/api/v1/nhsmail/accounts/", _json_floor(ACCOUNTS_SQL),
         PersonalAccount.objects.filter(user__in=current.values("user")).count()),
        ("nhsmail_links", "/api/v1/nhsmail/links/", _json_floor(LINKS_SQL),
         MailboxLink.objects.filter(mailbox__premises__organisation=organisation).count()),
        ("smartcard_requests", "/api/v1/smartcards/requests/", _json_floor(REQUESTS_SQL),
         SmartcardRequest.objects.filter(premises__organisation=organisation).count()),
        ("eps_stock", "/api/v1/eps/stock/", _stock_floor(), premises.count()),
        ("eps_orders", "/api/v1/eps/orders/", _json_floor(ORDERS_SQL),
         TokenOrder.objects.filter(premises__organisation=organisation).count()),
    ]  # fmt: skip


def _api_token(organisation, admin):
    from api.models import ApiToken
    from api.services import token_create

    ApiToken.objects.filter(organisation=organisation, name=TOKEN_NAME).delete()
    _, token = token_create(actor=admin, organisation=organisation, name=TOKEN_NAME, valid_days=7)
    return token


def _get_json(client, url):
    response = client.get(url)
    if response.status_code != 200:
        raise AssertionError(f"{url} answered {response.status_code}: {response.content[:200]}")
    return response.content


def measure(h):
    if connection.vendor != "postgresql":
        print("bench api skipped: the floors are PostgreSQL SQL", flush=True)
        return
    organisation = biggest_group()
    token = _api_token(organisation, head_office_of_biggest_group())
    # The throttle still counts every call, but a benchmark's calls must not meet its limit.
    with (
        override_settings(ROOT_URLCONF="benchmarks.urls"),
        mock.patch.object(ApiTokenRateThrottle, "THROTTLE_RATES", {"api_token": "100000/minute"}),
    ):
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        for name, path, view, n in endpoints(organisation):
            floor = floor_url(f"api-{name.replace('_', '-')}", view, api=True)
            last = max(1, -(-n // PAGE_SIZE))
            for label, page in (("first", 1), ("deep", last)):
                url, floor_page = f"{path}?page={page}", f"{floor}?page={page}"
                _get_json(client, url)
                h.compare(
                    f"api_{name}_{label}",
                    n,
                    lambda url=url: _get_json(client, url),
                    lambda floor_page=floor_page: _get_json(client, floor_page),
                )
