"""The cross-area dashboard, its table, CSV, premises overview, trends and weekly digest.

Every page here reads the stored standings (accounts.standings). The expected figures are
worked out independently of the portal's selectors: from the raw rows the factories create
(whose cards expire, who works where today, which requests are open) or from how each
premises was built (how many people are linked to its shared mailbox, whether it is low on
tokens, whether it has an SCR-ready pharmacist).
"""

import csv
import dataclasses
import html as html_lib
import io
import re
import time
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core import mail
from django.db import DatabaseError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import standings
from accounts.models import Membership, PremisesStanding, SentNotification, StandingDay
from accounts.standings import registry
from api import services as api_services
from dashboard import selectors
from dashboard.forms import TableFilterForm
from dashboard.services import weekly_digests_send
from dashboard.tasks import send_weekly_digests
from smartcards.models import SmartcardHolder, SmartcardRequest
from tests.conftest import sign_in
from tests.eps.factories import movement
from tests.factories import (
    MembershipFactory,
    PremisesFactory,
    RegionFactory,
    UnlockerCoverFactory,
    UserFactory,
    refresh_standings,
)
from tests.nhsmail.factories import MailboxLinkFactory, PersonalAccountFactory, SharedMailboxFactory
from tests.records.factories import ready_pharmacist
from tests.smartcards.factories import SmartcardHolderFactory, SmartcardRequestFactory, holder_at

AREA_KEYS = ["nhsmail", "smartcards", "eps", "records"]
AREA_LABELS = {
    "nhsmail": "NHSmail",
    "smartcards": "Smartcards",
    "eps": "EPS tokens",
    "records": "SCR/NCRS",
}
# The API's name for each area's standing.
API_NAMES = {
    "nhsmail": "nhsmail",
    "smartcards": "smartcards",
    "eps": "eps_tokens",
    "records": "scr_ncrs",
}
AREA_LEVEL_WORDS = {"red": "Needs action", "amber": "Watch", "green": "In order"}
LEVEL_WORDS = {
    "nhsmail": {"red": "Not compliant", "amber": "Compliant, at risk", "green": "Compliant"},
    "smartcards": AREA_LEVEL_WORDS,
    "eps": AREA_LEVEL_WORDS,
    "records": AREA_LEVEL_WORDS,
}
TABLE = "/dashboard/premises/"


def today():
    return timezone.localdate()


# --- The picture ---------------------------------------------------------------------------


@dataclass
class Built:
    """How a premises was built: what its standing must say, known without the portal."""

    premises: object
    linked_people: int  # live personal accounts linked to its shared mailbox
    low_on_tokens: bool
    ready_pharmacist: bool
    covered: bool  # an unlocker covers it

    @property
    def nhsmail(self):
        if self.linked_people < 2:
            return "red"
        return "amber" if self.linked_people == 2 else "green"


def varied_premises(organisation, index):
    """A premises whose standing in each area depends on index."""
    premises = PremisesFactory(organisation=organisation, name=f"Premises {index:03d}")
    mailbox = SharedMailboxFactory(premises=premises)
    for _ in range(index % 4):
        user = MembershipFactory(premises=premises).user
        MailboxLinkFactory(account=PersonalAccountFactory(user=user), mailbox=mailbox)
    if index % 3 == 0:
        # Ends within 30 days, and its holder waits on a request (urgent when even).
        holder = holder_at(premises, certificate_expires_on=today() + timedelta(days=20))
        SmartcardRequestFactory(holder=holder, premises=premises, urgent=index % 2 == 0)
    elif index % 3 == 1:
        holder_at(premises, certificate_expires_on=today() - timedelta(days=10))
    else:
        # A leaver's expired card is not this premises' problem any more; a card ending
        # in 45 days is due within 60 and 90 days but not 30.
        leaver = MembershipFactory(
            premises=premises,
            start_date=today() - timedelta(days=400),
            end_date=today() - timedelta(days=5),
        ).user
        SmartcardHolderFactory(user=leaver, certificate_expires_on=today() - timedelta(days=10))
        holder_at(premises, certificate_expires_on=today() + timedelta(days=45))
    covered = index % 2 == 0
    if covered:
        UnlockerCoverFactory(premises=premises)
    low = index % 4 == 0
    movement(premises, 500, days_ago=30)
    # 480 used in a week leaves no day of cover; 70 a week leaves 43 days.
    movement(premises, -480 if low else -70, days_ago=7, period_days=7)
    ready = index % 2 == 0
    if ready:
        ready_pharmacist(premises)
    return Built(premises, index % 4, low, ready, covered)


@pytest.fixture
def group(world):
    """The head office's eleven premises: world's two and nine varied ones, plus a locum
    with an expired card working at two of them and an expired card at the other
    organisation's premises (which this head office must never count)."""
    built = [
        Built(world.premises, 0, low_on_tokens=False, ready_pharmacist=False, covered=True),
        Built(world.second_premises, 0, low_on_tokens=False, ready_pharmacist=False, covered=False),
    ]
    built += [varied_premises(world.premises.organisation, index) for index in range(9)]
    locum = UserFactory(full_name="Lou Locum")
    for b in (built[2], built[6]):
        MembershipFactory(user=locum, premises=b.premises)
    SmartcardHolderFactory(user=locum, certificate_expires_on=today() - timedelta(days=3))
    holder_at(world.other_premises, certificate_expires_on=today() - timedelta(days=1))
    return built


def works_there_today(premises):
    on = today()
    return {
        m.user_id
        for m in Membership.objects.filter(premises=premises)
        if m.start_date <= on and (m.end_date is None or m.end_date > on)
    }


@dataclass
class Cards:
    expired: int
    expiring_30: int
    expiring_60: int
    expiring_90: int
    open_requests: int
    urgent_requests: int

    @property
    def red(self):
        return bool(self.expired or self.urgent_requests)


def raw_cards(premises):
    """The smartcard figures of a premises counted from the raw rows, in Python."""
    on = today()
    expiries = [
        holder.certificate_expires_on
        for holder in SmartcardHolder.objects.filter(user_id__in=works_there_today(premises))
    ]

    def within(days):
        return sum(1 for e in expiries if on <= e <= on + timedelta(days=days))

    active = [
        r
        for r in SmartcardRequest.objects.filter(premises=premises)
        if r.status in ("open", "claimed")
    ]
    return Cards(
        expired=sum(1 for e in expiries if e < on),
        expiring_30=within(30),
        expiring_60=within(60),
        expiring_90=within(90),
        open_requests=len(active),
        urgent_requests=sum(1 for r in active if r.urgent),
    )


def names(built, keep=lambda b: True):
    return sorted(b.premises.name for b in built if keep(b))


# --- Reading pages -------------------------------------------------------------------------


def page_html(client, url, params=None):
    response = client.get(url, params or {})
    assert response.status_code == 200
    return response.content.decode()


def card_number(html, href):
    """The big number on the dashboard card whose link goes to href."""
    match = re.search(
        r'<p class="nhsuk-heading-l[^"]*">(\d+)</p>\s*<a class="nhsuk-card__link" href="'
        + re.escape(href)
        + '"',
        html,
    )
    assert match, f"no card linking to {href}"
    return int(match.group(1))


def text_of(fragment):
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def table_context_rows(client, params=None):
    response = client.get(TABLE, params or {})
    assert response.status_code == 200
    return list(response.context["page"].object_list)


def table_names(client, params=None):
    return [row.premises.name for row in table_context_rows(client, params)]


def csv_rows(client, params=None):
    response = client.get(TABLE, {**(params or {}), "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


# --- Headline figures ----------------------------------------------------------------------


@pytest.mark.django_db
class TestHeadline:
    def test_figures_are_the_sums_over_the_raw_rows(self, world, group):
        scope = selectors.dashboard_premises(world.head_office)
        standings.ensure_current(scope)
        headline = selectors.headline(scope)

        cards = [raw_cards(b.premises) for b in group]
        assert headline.premises_count == len(group) == 11
        # The locum's card counts at both premises they work at.
        assert headline.certificates_expired == sum(c.expired for c in cards) == 3 + 2
        assert headline.expiring_30 == sum(c.expiring_30 for c in cards) == 3
        assert headline.expiring_60 == sum(c.expiring_60 for c in cards) == 3 + 3
        assert headline.expiring_90 == sum(c.expiring_90 for c in cards) == 6
        assert headline.open_requests == sum(c.open_requests for c in cards) == 3
        assert headline.urgent_requests == sum(c.urgent_requests for c in cards) == 2
        assert headline.oldest_waiting_since == min(
            r.raised_at for r in SmartcardRequest.objects.filter(premises__in=scope)
        )
        assert headline.low_on_tokens == sum(b.low_on_tokens for b in group) == 3
        assert headline.without_ready_pharmacist == sum(not b.ready_pharmacist for b in group) == 6

        nhsmail = [b.nhsmail for b in group]
        assert headline.levels["nhsmail"] == {
            level: nhsmail.count(level) for level in ("red", "amber", "green") if level in nhsmail
        }
        smartcards_red = sum(c.red for c in cards)
        assert headline.levels["smartcards"]["red"] == smartcards_red
        # Red on tokens: low, and nothing ordered.
        assert headline.levels["eps"]["red"] == 3
        assert headline.levels["records"]["red"] == 6
        for key in AREA_KEYS:
            assert sum(headline.levels[key].values()) == 11, key
        assert headline.stale == 0

    def test_figures_equal_the_area_figures_for_the_same_scope(self, world, group):
        from smartcards.selectors import standing_totals

        scope = selectors.dashboard_premises(world.head_office)
        standings.ensure_current(scope)
        headline = selectors.headline(scope)
        stored = {
            (row.premises_id, row.area): row.figures
            for row in PremisesStanding.objects.filter(premises__in=scope)
        }
        assert len(stored) == 11 * 4
        smartcards = [f for (_, area), f in stored.items() if area == "smartcards"]
        for name in ("certificates_expired", "expiring_30", "expiring_60", "expiring_90"):
            assert getattr(headline, name) == sum(f[name] for f in smartcards), name
        totals = standing_totals(scope)
        assert totals["certificates_expired"] == headline.certificates_expired
        assert totals["open_requests"] == headline.open_requests
        assert totals["without_cover"] == sum(not b.covered for b in group)
        eps = [f for (_, area), f in stored.items() if area == "eps"]
        assert headline.low_on_tokens == sum(f["is_low"] for f in eps)
        records = [f for (_, area), f in stored.items() if area == "records"]
        assert headline.without_ready_pharmacist == sum(
            not f["has_ready_pharmacist"] for f in records
        )

    def test_dashboard_page_shows_the_numbers(self, world, group, client_for):
        html = page_html(client_for("head_office"), reverse("dashboard"))
        cards = [raw_cards(b.premises) for b in group]

        assert "11 premises. Every figure links to the premises behind it." in html
        expired = sum(c.expired for c in cards)
        assert card_number(html, f"{TABLE}?smartcards=expired") == expired == 5
        assert re.search(
            rf">{expired}</p>\s*<a class=\"nhsuk-card__link\" "
            rf'href="{TABLE}\?smartcards=expired">Certificates expired</a>',
            html,
        )
        assert card_number(html, f"{TABLE}?smartcards=expiring_30") == 3
        assert card_number(html, f"{TABLE}?smartcards=expiring_60") == 6
        assert card_number(html, f"{TABLE}?smartcards=open_requests") == 3
        assert "2 urgent" in html
        assert "6 within 90 days" in html
        assert f'<a href="{TABLE}?eps=low">3 premises low on EPS tokens</a>' in html
        assert (
            f'<a href="{TABLE}?records=no_ready_pharmacist">'
            "6 premises without an SCR-ready pharmacist</a>"
        ) in html
        nhsmail = [b.nhsmail for b in group]
        for level in ("red", "amber", "green"):
            assert card_number(html, f"{TABLE}?nhsmail={level}") == nhsmail.count(level)
        smartcards_red = sum(c.red for c in cards)
        assert card_number(html, f"{TABLE}?smartcards=red") == smartcards_red
        assert card_number(html, f"{TABLE}?records=red") == 6
        assert card_number(html, f"{TABLE}?eps=red") == 3
        for key in AREA_KEYS:
            levels = sum(card_number(html, f"{TABLE}?{key}={level}") for level in LEVEL_WORDS[key])
            assert levels == 11, key
        assert "may be out of date" not in html

    def test_every_dashboard_link_is_a_filter_the_table_understands(self, world, group):
        client = sign_in(Client(), world.head_office)
        html = page_html(client, reverse("dashboard"))
        links = set(re.findall(re.escape(TABLE) + r"\?(\w+)=(\w+)", html))
        assert len(links) == 4 * 3 + 5 + 2  # three levels per area, and the figures
        form = TableFilterForm(
            {}, regions=selectors.regions_of(selectors.dashboard_premises(world.head_office))
        )
        for key, value in links:
            assert value in dict(form.fields[key].choices), (key, value)
            if value in standings.SEVERITY:
                # A level's card counts the premises its link leads to.
                shown = table_names(client, {key: value})
                assert card_number(html, f"{TABLE}?{key}={value}") == len(shown), (key, value)
        low = len(table_names(client, {"eps": "low"}))
        assert f">{low} premises low on EPS tokens<" in html
        without = len(table_names(client, {"records": "no_ready_pharmacist"}))
        assert f">{without} premises without an SCR-ready pharmacist<" in html

    def test_head_office_sees_only_its_organisation(self, world, group):
        other = sign_in(Client(), world.other_head_office)
        ours = sign_in(Client(), world.head_office)

        assert table_names(ours) == names(group)
        assert table_names(other) == [world.other_premises.name]
        assert world.other_premises.ods_code not in {row[0] for row in csv_rows(ours)[1:]}
        other_html = page_html(other, reverse("dashboard"))
        assert "1 premises." in other_html
        # Their one expired card, not our five.
        assert card_number(other_html, f"{TABLE}?smartcards=expired") == 1
        assert (
            card_number(page_html(ours, reverse("dashboard")), f"{TABLE}?smartcards=expired") == 5
        )
        assert (
            ours.get(reverse("premises_overview", args=[world.other_premises.pk])).status_code
            == 404
        )
        # Asking for the other organisation's ICB area shows nothing of theirs.
        world.other_premises.region = RegionFactory(name="Humber and North Yorkshire ICB")
        world.other_premises.save()
        assert world.other_premises.name not in table_names(
            ours, {"region": world.other_premises.region_id}
        )
        admin = sign_in(Client(), world.portal_admin)
        assert len(table_names(admin)) == 12


# --- The table -----------------------------------------------------------------------------


@pytest.mark.django_db
class TestTable:
    def test_level_filters_show_exactly_the_premises_at_that_level(self, world, group):
        client = sign_in(Client(), world.head_office)
        cards = {b.premises.pk: raw_cards(b.premises) for b in group}
        for level in ("red", "amber", "green"):
            assert table_names(client, {"nhsmail": level}) == names(
                group, lambda b, level=level: b.nhsmail == level
            )
        assert table_names(client, {"smartcards": "red"}) == names(
            group, lambda b: cards[b.premises.pk].red
        )
        assert table_names(client, {"eps": "red"}) == names(group, lambda b: b.low_on_tokens)
        assert table_names(client, {"records": "red"}) == names(
            group, lambda b: not b.ready_pharmacist
        )
        for key in AREA_KEYS:
            shown = []
            for level in ("red", "amber", "green"):
                rows = table_context_rows(client, {key: level})
                assert {row[key].level for row in rows} <= {level}, (key, level)
                shown += [row.premises.name for row in rows]
            # The three levels between them show every premises, each once.
            assert sorted(shown) == names(group), key

    def test_figure_filters_show_exactly_the_premises_behind_the_figure(self, world, group):
        client = sign_in(Client(), world.head_office)
        cards = {b.premises.pk: raw_cards(b.premises) for b in group}

        def with_cards(test):
            return names(group, lambda b: test(cards[b.premises.pk]))

        expected = {
            "expired": with_cards(lambda c: c.expired),
            "expiring_30": with_cards(lambda c: c.expiring_30),
            "expiring_60": with_cards(lambda c: c.expiring_60),
            "expiring_90": with_cards(lambda c: c.expiring_90),
            "open_requests": with_cards(lambda c: c.open_requests),
            "no_cover": names(group, lambda b: not b.covered),
        }
        # The locum's premises, and the premises with an expired card of current staff;
        # never the premises whose expired card belongs to a leaver.
        assert expected["expired"] == [
            "Premises 000",
            "Premises 001",
            "Premises 004",
            "Premises 007",
        ]
        for value, premises_names in expected.items():
            assert table_names(client, {"smartcards": value}) == premises_names, value
        assert table_names(client, {"eps": "low"}) == names(group, lambda b: b.low_on_tokens)
        assert table_names(client, {"records": "no_ready_pharmacist"}) == names(
            group, lambda b: not b.ready_pharmacist
        )

    def test_filters_combine_and_search_by_name_or_ods_code(self, world, group):
        client = sign_in(Client(), world.head_office)
        assert table_names(client, {"nhsmail": "red", "records": "red"}) == names(
            group, lambda b: b.nhsmail == "red" and not b.ready_pharmacist
        )
        assert table_names(client, {"q": "PREMISES 004"}) == ["Premises 004"]
        code = group[5].premises.ods_code
        assert table_names(client, {"q": code.lower()}) == [group[5].premises.name]
        assert table_names(client, {"q": "premises 00", "eps": "low"}) == [
            "Premises 000",
            "Premises 004",
            "Premises 008",
        ]
        world.second_premises.region = RegionFactory(name="Humber and North Yorkshire ICB")
        world.second_premises.save()
        assert table_names(client, {"region": world.second_premises.region_id}) == ["Aire Pharmacy"]

    @pytest.mark.parametrize("area_key", AREA_KEYS)
    def test_sorting_by_an_area_puts_red_first(self, world, group, area_key):
        rows = table_context_rows(sign_in(Client(), world.head_office), {"sort": area_key})
        order = [(standings.SEVERITY[row[area_key].level], row.premises.name) for row in rows]
        assert order == sorted(order)
        assert len(rows) == 11
        red = [row for row in rows if row[area_key].level == "red"]
        assert red and rows[: len(red)] == red

    def test_sorting_by_nhsmail_follows_the_rule(self, world, group):
        shown = table_names(sign_in(Client(), world.head_office), {"sort": "nhsmail"})
        by_level = {"red": 0, "amber": 1, "green": 2}
        expected = sorted(group, key=lambda b: (by_level[b.nhsmail], b.premises.name))
        assert shown == [b.premises.name for b in expected]

    def test_table_shows_each_standing_with_its_reason(self, world, group):
        client = sign_in(Client(), world.head_office)
        html = page_html(client, TABLE, {"smartcards": "expired"})
        assert '<caption class="nhsuk-table__caption">4 premises</caption>' in html
        assert "Download these 4 premises as CSV" in html
        # Premises 001: one card of current staff expired, no cover.
        assert (
            "1 certificate expired: only the Registration Authority can repair that card; "
            "no local smartcard unlocker covers this premises"
        ) in html
        # Premises 004: an expired card of its own staff, and the locum's.
        assert (
            "2 certificates expired: only the Registration Authority can repair those cards" in html
        )

    @pytest.mark.parametrize(
        "filters",
        [
            {},
            {"nhsmail": "red"},
            {"nhsmail": "green"},
            {"smartcards": "expired"},
            {"smartcards": "expiring_30"},
            {"smartcards": "open_requests"},
            {"smartcards": "no_cover"},
            {"eps": "low"},
            {"records": "no_ready_pharmacist"},
            {"q": "premises 00"},
            {"nhsmail": "amber", "records": "red"},
            {"sort": "smartcards"},
            {"sort": "ods"},
            {"smartcards": "red", "sort": "eps"},
        ],
    )
    def test_csv_matches_the_filtered_table_row_for_row(self, world, group, filters):
        client = sign_in(Client(), world.head_office)
        rows = table_context_rows(client, filters)
        exported = csv_rows(client, filters)
        header = ["ODS code", "Premises", "Organisation", "ICB area"]
        for key in AREA_KEYS:
            header += [AREA_LABELS[key], f"{AREA_LABELS[key]}: reason"]
        assert exported[0] == header
        expected = []
        for row in rows:
            cells = [
                row.premises.ods_code,
                row.premises.name,
                row.premises.organisation.name,
                row.premises.region.name,
            ]
            for key in AREA_KEYS:
                cells += [LEVEL_WORDS[key][row[key].level], row[key].reason]
            expected.append(cells)
        assert exported[1:] == expected
        html = page_html(client, TABLE, filters)
        assert f"{len(rows)} premises</caption>" in html
        for row in rows:
            assert row.premises.ods_code in html

    def test_export_neutralises_formulas(self, world):
        for name in ("=cmd|' /C calc'!A0", "+SUM(1+1)", "-2+3", "@SUM(A1)"):
            PremisesFactory(organisation=world.premises.organisation, name=name)
        exported = csv_rows(sign_in(Client(), world.head_office))
        premises_names = {row[1] for row in exported[1:]}
        assert {"'=cmd|' /C calc'!A0", "'+SUM(1+1)", "'-2+3", "'@SUM(A1)"} <= premises_names
        for row in exported:
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell

    @pytest.mark.parametrize(
        "query",
        [
            {"region": "abc", "nhsmail": "purple", "sort": "'; DROP TABLE x;--", "page": "-3"},
            {"region": "999999999999999999999999", "page": "9999"},
            {"q": "x" * 5000},
            {"q": "\x00<script>"},
            {"smartcards": "expiring_9999", "eps": "expired", "records": "low"},
            {"nhsmail": ["red", "green"], "sort": ["eps", "nhsmail"]},
            {"tokens": "low", "descending": "yes", "format": "pdf"},
            {"page": "1e9999"},
        ],
    )
    def test_bad_query_values_never_break_the_page(self, world, group, query):
        client = sign_in(Client(), world.head_office)
        assert client.get(TABLE, query).status_code == 200
        assert client.get(TABLE, {**query, "format": "csv"}).status_code == 200
        assert client.get(reverse("dashboard"), query).status_code == 200

    def test_a_bad_value_drops_only_its_own_filter(self, world, group):
        client = sign_in(Client(), world.head_office)
        assert table_names(client, {"nhsmail": "purple", "records": "red"}) == table_names(
            client, {"records": "red"}
        )
        assert table_names(client, {"smartcards": "expiring_9999"}) == names(group)
        assert table_names(client, {"q": "x" * 5000, "eps": "low"}) == names(
            group, lambda b: b.low_on_tokens
        )

    def test_every_filter_value_is_offered_by_the_form_and_means_something(self, world):
        form = TableFilterForm(
            {}, regions=selectors.regions_of(selectors.dashboard_premises(world.head_office))
        )
        for key in AREA_KEYS:
            offered = {value for value, _ in form.fields[key].choices if value}
            understood = set(standings.SEVERITY) | set(selectors.FIGURE_FILTERS.get(key, {}))
            assert offered == understood, key
        assert set(selectors.FIGURE_FILTERS) <= set(AREA_KEYS)
        sorts = {value for value, _ in form.fields["sort"].choices}
        assert sorts == {"name", "ods", *AREA_KEYS}

    def test_pages_through_the_whole_sorted_table(self, world, group, monkeypatch):
        from dashboard import views

        client = sign_in(Client(), world.head_office)
        everything = table_names(client, {"sort": "nhsmail"})
        monkeypatch.setattr(views, "PAGE_SIZE", 4)
        shown = []
        for page in (1, 2, 3):
            shown += table_names(client, {"sort": "nhsmail", "page": page})
        assert shown == everything and len(shown) == 11


# --- Queries -------------------------------------------------------------------------------


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        assert response.status_code == 200
    return len(queries)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url_name", "query"),
    [
        ("dashboard", ""),
        ("dashboard_table", ""),
        ("dashboard_table", "?smartcards=expired&sort=eps"),
    ],
)
def test_queries_fixed_as_premises_grow(world, url_name, query):
    client = sign_in(Client(), world.head_office)
    url = reverse(url_name) + query
    for index in range(3):
        varied_premises(world.premises.organisation, index)
    # The first read works out the new premises' standings (factories skip the services
    # that would have); reads after that cost the same whatever the number of premises.
    client.get(url)
    small = count_queries(client, url)
    for index in range(3, 15):
        varied_premises(world.premises.organisation, index)
    client.get(url)
    assert count_queries(client, url) == small


# --- One premises, every reader ------------------------------------------------------------


def overview_cells(html):
    """{area label: text of its summary-list value} from the premises overview."""
    pairs = re.findall(
        r'<dt class="nhsuk-summary-list__key">([^<]+)</dt>\s*'
        r'<dd class="nhsuk-summary-list__value">(.*?)</dd>',
        html,
        re.S,
    )
    return {html_lib.unescape(label): text_of(value) for label, value in pairs}


@pytest.mark.django_db
def test_overview_table_csv_and_api_say_the_same_of_each_premises(world, group):
    client = sign_in(Client(), world.head_office)
    _, token = api_services.token_create(
        actor=world.head_office, organisation=world.premises.organisation, name="HR", valid_days=30
    )
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    exported = {row[0]: row for row in csv_rows(client)[1:]}
    table = {row.premises.pk: row for row in table_context_rows(client)}
    for b in group:
        premises = b.premises
        html = page_html(client, reverse("premises_overview", args=[premises.pk]))
        cells = overview_cells(html)
        assert list(cells) == [AREA_LABELS[key] for key in AREA_KEYS]
        detail = api.get(reverse("api_premises_detail", args=[premises.pk]))
        assert detail.status_code == 200
        compliance = detail.json()["compliance"]
        row = table[premises.pk]
        for index, key in enumerate(AREA_KEYS):
            label, reason = row[key].label, row[key].reason
            assert label == LEVEL_WORDS[key][row[key].level]
            assert cells[AREA_LABELS[key]].startswith(f"{label} {reason}"), (premises.name, key)
            assert exported[premises.ods_code][4 + 2 * index : 6 + 2 * index] == [label, reason]
            assert compliance[API_NAMES[key]]["label"] == label
            assert compliance[API_NAMES[key]]["reason"] == reason
            assert compliance[API_NAMES[key]]["status"] == row[key].level
            assert compliance[API_NAMES[key]]["stale"] is False
            assert f"Open {AREA_LABELS[key]} for {premises.name}" in text_of(html)
        assert row["nhsmail"].level == b.nhsmail
        assert compliance["nhsmail"]["qualifying_people"] == b.linked_people
        assert compliance["smartcards"]["certificates_expired"] == raw_cards(premises).expired
        assert compliance["scr_ncrs"]["has_ready_pharmacist"] is b.ready_pharmacist
    premises = group[3].premises  # Premises 001: an expired card of current staff
    html = page_html(client, reverse("premises_overview", args=[premises.pk]))
    assert overview_cells(html)["Smartcards"].startswith(
        "Needs action 1 certificate expired: only the Registration Authority can repair"
    )
    for url_name in ("nhsmail_premises", "smartcard_premises", "tokens_premises"):
        assert reverse(url_name, args=[premises.pk]) in html
    assert reverse("readiness_premises", args=[premises.pk]) in html


# --- Stale standings -----------------------------------------------------------------------


def smartcards_refresh_fails(monkeypatch):
    """Every refresh from now on fails as one would with the database gone: working out
    the smartcards standing raises, so the refresh stores nothing."""

    def database_gone(*args, **kwargs):
        raise DatabaseError("the database went away")

    smartcards = standings.area("smartcards")
    monkeypatch.setitem(
        registry._AREAS, "smartcards", dataclasses.replace(smartcards, work_out=database_gone)
    )


@pytest.mark.django_db
class TestStale:
    def test_a_stale_standing_is_worked_out_again_when_read(self, world, group):
        premises = group[3].premises
        client = sign_in(Client(), world.head_office)
        client.get(TABLE)
        PremisesStanding.objects.filter(premises=premises, area="smartcards").update(
            stale=True, level="green", reason="An old picture"
        )
        html = page_html(client, TABLE)
        assert "may be out of date" not in html
        assert "An old picture" not in html
        row = PremisesStanding.objects.get(premises=premises, area="smartcards")
        assert (row.stale, row.level) == (False, "red")

    def test_a_stale_standing_that_cannot_be_refreshed_says_so(self, world, group, monkeypatch):
        premises = group[3].premises
        client = sign_in(Client(), world.head_office)
        client.get(TABLE)
        PremisesStanding.objects.filter(premises=premises, area="smartcards").update(stale=True)
        smartcards_refresh_fails(monkeypatch)

        html = page_html(client, TABLE, {"q": premises.name})
        assert "(may be out of date: being worked out again)" in html
        assert html.count("may be out of date") == 1
        html = page_html(client, TABLE, {"q": group[4].premises.name})
        assert "may be out of date" not in html

        html = page_html(client, reverse("premises_overview", args=[premises.pk]))
        assert "Part of this picture is being worked out again after a recent change." in html
        smartcards_cell = overview_cells(html)["Smartcards"]
        assert "Needs action (may be out of date: being worked out again)" in smartcards_cell
        assert "may be out of date" not in overview_cells(html)["NHSmail"]

        html = page_html(client, reverse("dashboard"))
        assert "Some figures may be out of date" in html
        assert "1 premises is being worked out again" in html

        exported = csv_rows(client, {"q": premises.name})
        assert exported[1][4 + 2] == "Needs action"


@pytest.mark.django_db
class TestNeverWorkedOut:
    """A premises whose first refresh failed has no stored standing at all."""

    @pytest.fixture
    def unworked(self, world, monkeypatch):
        refresh_standings(world.premises, world.second_premises, world.other_premises)
        premises = PremisesFactory(organisation=world.premises.organisation, name="New Pharmacy")
        smartcards_refresh_fails(monkeypatch)
        return premises

    def test_table_and_csv_say_not_worked_out_yet(self, world, unworked):
        client = sign_in(Client(), world.head_office)
        html = page_html(client, TABLE, {"q": "New Pharmacy"})
        assert text_of(html).count("Not worked out yet") == 4
        exported = csv_rows(client, {"q": "New Pharmacy"})
        assert exported[1][4::2] == ["Not worked out yet"] * 4
        assert exported[1][5::2] == [""] * 4
        # Not counted at any level, and no level filter shows it.
        assert table_names(client, {"nhsmail": "red"}) == ["Aire Pharmacy", "Calder Pharmacy"]

    def test_weekly_digest_is_still_sent(self, world, unworked, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            assert weekly_digests_send() == 2
        assert "Needs action now" in digest_for(world.head_office).body

    def test_overview_says_it_is_being_worked_out(self, world, unworked):
        client = sign_in(Client(), world.head_office)
        html = page_html(client, reverse("premises_overview", args=[unworked.pk]))
        assert text_of(html).count("Not worked out yet") == 4
        assert "Part of this picture is being worked out again" in html

    def test_api_answers_for_it(self, world, unworked):
        _, token = api_services.token_create(
            actor=world.head_office,
            organisation=world.premises.organisation,
            name="HR",
            valid_days=30,
        )
        api = Client(HTTP_AUTHORIZATION=f"Bearer {token}", raise_request_exception=False)
        response = api.get(reverse("api_premises_detail", args=[unworked.pk]))
        assert response.status_code == 200


# --- Trends --------------------------------------------------------------------------------


@pytest.mark.django_db
class TestTrends:
    def test_four_areas_twelve_weekly_points_counted_from_the_history(self, world):
        on = today()
        second_region = RegionFactory(name="Humber and North Yorkshire ICB")
        world.second_premises.region = second_region
        world.second_premises.save()
        rows = [
            (world.premises, "nhsmail", 0, "green"),
            (world.premises, "nhsmail", 1, "amber"),
            (world.premises, "nhsmail", 2, "red"),
            (world.second_premises, "nhsmail", 0, "red"),
            (world.second_premises, "nhsmail", 11, "green"),
            (world.premises, "smartcards", 0, "red"),
            (world.second_premises, "smartcards", 0, "red"),
            (world.premises, "eps", 5, "amber"),
            (world.premises, "records", 11, "green"),
            # Never counted: another organisation's premises, a week too far back.
            (world.other_premises, "nhsmail", 0, "red"),
            (world.premises, "nhsmail", 12, "red"),
        ]
        for premises, area, weeks_ago, level in rows:
            StandingDay.objects.create(
                premises=premises, area=area, day=on - timedelta(weeks=weeks_ago), level=level
            )
        # Not one of the weekly days either.
        StandingDay.objects.create(
            premises=world.premises, area="eps", day=on - timedelta(days=1), level="red"
        )

        scope = selectors.dashboard_premises(world.head_office)
        trends = selectors.trends(scope, today=on)
        assert list(trends) == AREA_KEYS
        for key, trend in trends.items():
            assert [p.day for p in trend.points] == [
                on - timedelta(weeks=k) for k in range(11, -1, -1)
            ], key
            assert trend.area.key == key
            assert trend.labels == tuple(
                LEVEL_WORDS[key][level] for level in ("red", "amber", "green")
            )

        def counts(key):
            return [(p.red, p.amber, p.green) for p in trends[key].points]

        nhsmail = counts("nhsmail")
        assert nhsmail[-1] == (1, 0, 1)
        assert nhsmail[-2] == (0, 1, 0)
        assert nhsmail[-3] == (1, 0, 0)
        assert nhsmail[0] == (0, 0, 1)
        assert nhsmail[1:-3] == [(0, 0, 0)] * 8
        assert trends["nhsmail"].points[-1].not_red_percent == 50
        assert trends["nhsmail"].points[-2].not_red_percent == 100
        assert trends["nhsmail"].points[-3].not_red_percent == 0
        assert trends["nhsmail"].points[4].not_red_percent is None
        assert counts("smartcards") == [(0, 0, 0)] * 11 + [(2, 0, 0)]
        assert counts("eps") == [(0, 0, 0)] * 6 + [(0, 1, 0)] + [(0, 0, 0)] * 5
        assert counts("records") == [(0, 0, 1)] + [(0, 0, 0)] * 11

        by_region = selectors.trends_by_region(scope, "nhsmail", today=on)
        assert list(by_region) == sorted([world.premises.region.name, second_region.name])
        west = by_region[world.premises.region.name]
        humber = by_region[second_region.name]
        assert len(west) == len(humber) == 12
        assert [(p.red, p.amber, p.green) for p in west][-3:] == [(1, 0, 0), (0, 1, 0), (0, 0, 1)]
        assert (humber[-1].red, humber[0].green) == (1, 1)

    def test_dashboard_draws_four_charts_of_twelve_points_with_their_tables(self, world, group):
        client = sign_in(Client(), world.head_office)
        client.get(reverse("dashboard"))  # stores today's standings and history row
        on = today()
        # Eleven weeks of history behind today: in week k, the first k premises are red.
        for weeks_ago in range(1, 12):
            for index, b in enumerate(group):
                for key in AREA_KEYS:
                    StandingDay.objects.create(
                        premises=b.premises,
                        area=key,
                        day=on - timedelta(weeks=weeks_ago),
                        level="red" if index < weeks_ago else "green",
                    )
        # History written past the refresh, as a restore would: tally it again.
        standings.tallies_rebuild()
        html = page_html(client, reverse("dashboard"))
        assert "<h2>Over 12 weeks</h2>" in html
        charts = re.findall(r'<figure class="portal-chart">(.*?)</figure>', html, re.S)
        assert len(charts) == 4
        for key, chart in zip(AREA_KEYS, charts, strict=True):
            assert f'id="trend-{key}-title"' in chart
            assert chart.count('<circle class="portal-chart__point"') == 12
        today_levels = {
            key: [
                PremisesStanding.objects.filter(
                    premises__in=[b.premises for b in group], area=key, level=level
                ).count()
                for level in ("red", "amber", "green")
            ]
            for key in AREA_KEYS
        }
        for key in AREA_KEYS:
            caption = f"{AREA_LABELS[key]}: all your premises"
            table = re.search(
                r"<caption[^>]*>" + re.escape(caption) + r"</caption>(.*?)</table>", html, re.S
            )
            assert table, caption
            body_rows = re.findall(
                r"<tr class=\"nhsuk-table__row\">(.*?)</tr>", table.group(1), re.S
            )
            numbers = [
                [int(n) for n in re.findall(r"--numeric\">(\d+)%?</td>", row)]
                for row in body_rows[1:]
            ]
            assert len(numbers) == 12, key
            for weeks_ago in range(1, 12):
                red = weeks_ago
                green = 11 - red
                row = numbers[11 - weeks_ago]
                assert row == [red, 0, green, round(100 * green / 11)], (key, weeks_ago)
            assert numbers[11][:3] == today_levels[key], key
            assert sum(numbers[11][:3]) == 11

    def test_dashboard_breaks_nhsmail_down_by_icb_area_when_there_are_several(self, world, group):
        client = sign_in(Client(), world.head_office)
        assert "NHSmail by ICB area" not in page_html(client, reverse("dashboard"))
        world.second_premises.region = RegionFactory(name="Humber and North Yorkshire ICB")
        world.second_premises.save()
        # Saved past premises_update, which would have refreshed the premises' standings.
        refresh_standings(world.second_premises)
        html = page_html(client, reverse("dashboard"))
        assert "NHSmail by ICB area" in html

        def today_row(caption):
            table = re.search(
                r"<caption[^>]*>" + re.escape(caption) + r"</caption>(.*?)</table>", html, re.S
            )
            assert table, caption
            rows = re.findall(r"<tr class=\"nhsuk-table__row\">(.*?)</tr>", table.group(1), re.S)
            assert len(rows) == 1 + 12
            return re.findall(r"--numeric\">([^<]+)</td>", rows[-1])

        # Aire Pharmacy has no shared mailbox: red, and the only premises there.
        assert today_row("Humber and North Yorkshire ICB") == ["1", "0", "0", "0%"]
        west = [b.nhsmail for b in group if b.premises != world.second_premises]
        assert today_row("West Yorkshire ICB") == [
            str(west.count("red")),
            str(west.count("amber")),
            str(west.count("green")),
            f"{round(100 * (len(west) - west.count('red')) / len(west))}%",
        ]


# --- Weekly digest -------------------------------------------------------------------------


def digest_for(user):
    found = [m for m in mail.outbox if user.email in m.to]
    assert len(found) == 1, [m.to for m in mail.outbox]
    return found[0]


def week_start(day):
    return day - timedelta(days=day.weekday())


@pytest.mark.django_db
class TestWeeklyDigest:
    def test_once_per_week(self, world, group, django_capture_on_commit_callbacks):
        on = today()
        with django_capture_on_commit_callbacks(execute=True):
            assert weekly_digests_send(on=on) == 2  # the head office of each organisation
            assert weekly_digests_send(on=on) == 0
            # Later the same week: still nothing.
            assert weekly_digests_send(on=week_start(on) + timedelta(days=6)) == 0
        assert len(mail.outbox) == 2
        assert SentNotification.objects.count() == 2
        digest = digest_for(world.head_office)
        assert "Weekly compliance digest" in digest.subject
        assert world.premises.organisation.name in digest.subject
        assert "Needs action now" in digest.body
        with django_capture_on_commit_callbacks(execute=True):
            assert weekly_digests_send(on=week_start(on) + timedelta(days=7)) == 2
        assert len(mail.outbox) == 4
        assert SentNotification.objects.count() == 4

    def test_reports_what_changed_since_a_week_ago(
        self, world, group, django_capture_on_commit_callbacks
    ):
        on = today()
        refresh_standings(*(b.premises for b in group), world.other_premises)
        week_ago = on - timedelta(days=7)
        history = [
            (world.premises, "nhsmail", "green", "red"),
            (world.second_premises, "smartcards", "red", "amber"),
            (group[4].premises, "eps", "amber", "amber"),  # unchanged: not reported
            (group[5].premises, "records", "green", "red"),
            (world.other_premises, "nhsmail", "green", "red"),  # not this organisation's
        ]
        for premises, area, before, after in history:
            StandingDay.objects.create(premises=premises, area=area, day=week_ago, level=before)
            StandingDay.objects.update_or_create(
                premises=premises, area=area, day=on, defaults={"level": after}
            )
        # A day in between is not what the digest compares.
        StandingDay.objects.create(
            premises=group[6].premises, area="eps", day=on - timedelta(days=3), level="red"
        )
        with django_capture_on_commit_callbacks(execute=True):
            weekly_digests_send(on=on)
        body = digest_for(world.head_office).body
        changed = body.split("What changed this week:\n")[1].split("\nNeeds action now:")[0]
        assert changed.splitlines() == [
            "  Aire Pharmacy, Smartcards: Needs action -> Watch",
            "  Calder Pharmacy, NHSmail: Compliant -> Not compliant",
            f"  {group[5].premises.name}, SCR/NCRS: In order -> Needs action",
        ]
        other = digest_for(world.other_head_office).body
        assert "Elsewhere Pharmacy, NHSmail: Compliant -> Not compliant" in other
        assert "Calder Pharmacy" not in other

    def test_nothing_changed(self, world, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            weekly_digests_send()
        assert "What changed this week:\n  No premises changed standing.\n" in (
            digest_for(world.head_office).body
        )

    def test_lists_red_premises_per_area_and_the_figures(
        self, world, group, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            weekly_digests_send()
        body = digest_for(world.head_office).body
        cards = {b.premises.pk: raw_cards(b.premises) for b in group}
        red = {
            "NHSmail": [b for b in group if b.nhsmail == "red"],
            "Smartcards": [b for b in group if cards[b.premises.pk].red],
            "EPS tokens": [b for b in group if b.low_on_tokens],
            "SCR/NCRS": [b for b in group if not b.ready_pharmacist],
        }
        needs_action = body.split("Needs action now:\n")[1].split("See every premises")[0]
        expected = ""
        for label, built in red.items():
            assert built, label
            expected += f"  {label}: {len(built)} premises\n"
            for b in sorted(built, key=lambda b: b.premises.name):
                expected += f"    - {b.premises.name} ({b.premises.ods_code})\n"
        assert needs_action.strip("\n") == expected.strip("\n")
        assert "11 premises." in body
        nhsmail = [b.nhsmail for b in group]
        assert (
            f"NHSmail: {nhsmail.count('red')} not compliant, "
            f"{nhsmail.count('amber')} compliant, at risk, {nhsmail.count('green')} compliant."
        ) in body
        expired = sum(c.expired for c in cards.values())
        open_requests = sum(c.open_requests for c in cards.values())
        assert (
            f"Smartcards: {expired} certificates expired; {open_requests} open requests; "
            "3 certificates expire within 30 days."
        ) in body
        assert "EPS tokens: 3 premises low on tokens." in body
        assert "SCR/NCRS: 6 premises without an SCR-ready pharmacist." in body
        assert world.other_premises.name not in body

    def test_long_red_lists_are_cut_at_ten(self, world, django_capture_on_commit_callbacks):
        for index in range(12):
            PremisesFactory(organisation=world.premises.organisation, name=f"Branch {index:02d}")
        with django_capture_on_commit_callbacks(execute=True):
            weekly_digests_send()
        body = digest_for(world.head_office).body
        # Fourteen premises, none with a shared mailbox.
        assert "  NHSmail: 14 premises\n" in body
        assert "\n    and 4 more\n" in body
        # The first ten by name: Aire Pharmacy, then Branch 00 to Branch 08.
        assert "Branch 08" in body and "Branch 09" not in body


def test_digest_through_a_real_worker(real_celery_worker):
    from tests.factories import OrganisationAdminFactory

    admin = OrganisationAdminFactory()
    premises = PremisesFactory(organisation=admin.organisation, name="Worker Pharmacy")
    send_weekly_digests.delay().get(timeout=60)
    send_weekly_digests.delay().get(timeout=60)
    for _ in range(50):
        if mail.outbox:
            break
        time.sleep(0.1)
    time.sleep(0.5)
    assert [m.to for m in mail.outbox] == [[admin.user.email]]
    # The worker worked out the premises' standing: no shared mailbox, so red on NHSmail.
    assert f"  NHSmail: 1 premises\n    - Worker Pharmacy ({premises.ods_code})" in (
        mail.outbox[0].body
    )
