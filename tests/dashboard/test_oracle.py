"""The head office's figures against a picture built by hand.

Four premises of one organisation, each person, account, card, request, stock movement and
readiness record chosen here, and every figure the dashboard, the premises table, the CSV
and the API must show for them written out below as a literal, counted by hand from the
picture. Nothing here asks the portal's selectors or standing modules what a figure should
be: a wrong window, a figure shown in another's place or a sum over the wrong figure
changes a number on a page, and the test says which.

The picture (days from today; "linked" is a live personal NHSmail account linked to the
premises' shared mailbox; "orderer" can order on PCSE Online):

North  Ann Archer   pharmacist, manager, SCR-ready; card ends in 10 days; linked; orderer
       Cat Cole     dispenser; linked; orderer
       Kim Kerr     dispenser; linked
       Leo Lund     left 5 days ago; card expired 20 days ago (no longer this premises')
       covered by an unlocker; 1,000 tokens delivered, 70 used in the last week
South  Dan Dale     pharmacist, not SCR-ready; card ends in 80 days; linked
       Eve Evans    counter assistant; card expired 5 days ago; linked
       no unlocker; 500 tokens delivered, 480 used in the last week; nobody orders
West   Fay Fox      dispenser; card ends in 120 days; live account, not linked; orderer;
                    an unlock request waiting
       Gil Gray     dispenser; card ends in 200 days; an urgent request waiting
       covered by an unlocker; no token usage ever recorded
East   Hal Hughes   pharmacist, SCR-ready; no card; linked; orderer
       Ben Brook    technician, not SCR-ready; card ends in 45 days; linked; orderer
       Jo Jones     dispenser; linked, but last confirmed 61 days ago (no longer counts)
       covered by an unlocker; 100 tokens delivered, 70 used in the last week; an order
       placed on PCSE Online, due in 4 days
Elsewhere, another organisation: a card ending in 10 days and one expired, never counted.
"""

import csv
import html as html_lib
import io
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api import services as api_services
from tests.conftest import sign_in
from tests.eps.factories import PcseOrdererFactory, TokenOrderFactory, movement
from tests.factories import (
    MembershipFactory,
    OrganisationAdminFactory,
    OrganisationFactory,
    PremisesFactory,
    RegionFactory,
    UnlockerCoverFactory,
    refresh_standings,
)
from tests.nhsmail.factories import MailboxLinkFactory, PersonalAccountFactory, SharedMailboxFactory
from tests.records.factories import ready_pharmacist
from tests.smartcards.factories import SmartcardHolderFactory, SmartcardRequestFactory

TABLE = "/dashboard/premises/"


def days(n):
    return timezone.localdate() + timedelta(days=n)


def person(premises, name, job_role="dispenser", **membership):
    return MembershipFactory(
        premises=premises, job_role=job_role, user__full_name=name, **membership
    ).user


def card(user, ends_in_days):
    return SmartcardHolderFactory(user=user, certificate_expires_on=days(ends_in_days))


def linked(user, mailbox, confirmed_days_ago=0):
    account = PersonalAccountFactory(user=user, last_confirmed_on=days(-confirmed_days_ago))
    MailboxLinkFactory(account=account, mailbox=mailbox)


@pytest.fixture
def picture(db):
    region = RegionFactory(name="West Yorkshire ICB")
    group = OrganisationFactory(name="Oracle Group")
    head_office = OrganisationAdminFactory(organisation=group, user__full_name="Hana Head").user

    def premises(name, ods_code):
        return PremisesFactory(organisation=group, name=name, ods_code=ods_code, region=region)

    north = premises("North Pharmacy", "FQ001")
    south = premises("South Pharmacy", "FQ002")
    west = premises("West Pharmacy", "FQ003")
    east = premises("East Pharmacy", "FQ004")

    # North
    mailbox = SharedMailboxFactory(premises=north)
    ann = ready_pharmacist(north, is_manager=True, user__full_name="Ann Archer").user
    cat = person(north, "Cat Cole")
    kim = person(north, "Kim Kerr")
    leo = person(north, "Leo Lund", start_date=days(-400), end_date=days(-5))
    card(ann, 10)
    card(leo, -20)
    for user in (ann, cat, kim):
        linked(user, mailbox)
    for user in (ann, cat):
        PcseOrdererFactory(premises=north, user=user)
    UnlockerCoverFactory(premises=north)
    movement(north, 1000, days_ago=30)
    movement(north, -70, days_ago=7, period_days=7)

    # South
    mailbox = SharedMailboxFactory(premises=south)
    dan = person(south, "Dan Dale", job_role="pharmacist")
    eve = person(south, "Eve Evans", job_role="counter_assistant")
    card(dan, 80)
    card(eve, -5)
    for user in (dan, eve):
        linked(user, mailbox)
    movement(south, 500, days_ago=30)
    movement(south, -480, days_ago=7, period_days=7)

    # West
    SharedMailboxFactory(premises=west)
    fay = person(west, "Fay Fox")
    gil = person(west, "Gil Gray")
    PersonalAccountFactory(user=fay)
    SmartcardRequestFactory(holder=card(fay, 120), premises=west, urgent=False)
    SmartcardRequestFactory(holder=card(gil, 200), premises=west, urgent=True)
    PcseOrdererFactory(premises=west, user=fay)
    UnlockerCoverFactory(premises=west)

    # East
    mailbox = SharedMailboxFactory(premises=east)
    hal = ready_pharmacist(east, user__full_name="Hal Hughes").user
    ben = person(east, "Ben Brook", job_role="technician")
    jo = person(east, "Jo Jones")
    card(ben, 45)
    linked(hal, mailbox)
    linked(ben, mailbox)
    linked(jo, mailbox, confirmed_days_ago=61)
    for user in (hal, ben):
        PcseOrdererFactory(premises=east, user=user)
    UnlockerCoverFactory(premises=east)
    movement(east, 100, days_ago=30)
    movement(east, -70, days_ago=7, period_days=7)
    TokenOrderFactory(premises=east, requested_by=hal, placed=True)

    # Another organisation's cards: never this head office's figures.
    elsewhere = PremisesFactory(name="Elsewhere Pharmacy", region=region)
    card(person(elsewhere, "Ola Other"), 10)
    card(person(elsewhere, "Pip Other"), -1)

    everywhere = (north, south, west, east, elsewhere)
    refresh_standings(*everywhere)
    return sign_in(Client(), head_office), group, head_office


# What each premises' standing says, counted by hand from the picture above:
# (ODS code, name, then per area: label, reason).
ROWS = {
    "North Pharmacy": [
        "FQ001",
        "North Pharmacy",
        "Oracle Group",
        "West Yorkshire ICB",
        "Compliant",
        "3 live linked accounts",
        "Watch",
        "1 certificate ending within 30 days",
        "In order",
        "930 in stock, 93 days of cover",
        "In order",
        "1 of 1 eligible staff ready",
    ],
    "South Pharmacy": [
        "FQ002",
        "South Pharmacy",
        "Oracle Group",
        "West Yorkshire ICB",
        "Compliant, at risk",
        "Exactly two live linked accounts: D. Dale and E. Evans. One leaver breaks the rule",
        "Needs action",
        "1 certificate expired: only the Registration Authority can repair that card; "
        "no local smartcard unlocker covers this premises",
        "Needs action",
        "Low on tokens: 0 days of cover, below the 14-day reorder point, and no order placed "
        "on PCSE Online; Nobody here can order on PCSE Online; 2 are needed",
        "Needs action",
        "No registered pharmacist here is ready for SCR/NCRS (0 staff ready); "
        "1 of 1 eligible staff not ready",
    ],
    "West Pharmacy": [
        "FQ003",
        "West Pharmacy",
        "Oracle Group",
        "West Yorkshire ICB",
        "Not compliant",
        "No live personal accounts linked to the shared mailbox",
        "Needs action",
        "1 urgent request from someone who cannot dispense; 1 unlock or renewal request waiting",
        "Watch",
        "Only one person here can order on PCSE Online; 2 are needed; No token usage recorded "
        "in the last eight weeks, so days of cover are unknown",
        "Needs action",
        "No registered pharmacist here is ready for SCR/NCRS (0 staff ready)",
    ],
    "East Pharmacy": [
        "FQ004",
        "East Pharmacy",
        "Oracle Group",
        "West Yorkshire ICB",
        "Compliant, at risk",
        "Exactly two live linked accounts: B. Brook and H. Hughes. One leaver breaks the rule",
        "In order",
        "Nothing waiting; 1 certificate due for renewal within 90 days",
        "Watch",
        "Low on tokens: 3 days of cover, below the 14-day reorder point; an order is on its way",
        "Watch",
        "1 of 2 eligible staff not ready",
    ],
}


def text_of(fragment):
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def get_html(client, url, params=None):
    response = client.get(url, params or {})
    assert response.status_code == 200
    return response.content.decode()


def card_number(html, query):
    """The big number on the dashboard card linking to the table filtered by query."""
    match = re.search(
        r'<p class="nhsuk-heading-l[^"]*">(\d+)</p>\s*<a class="nhsuk-card__link" href="'
        + re.escape(f"{TABLE}?{query}")
        + '"',
        html,
    )
    assert match, f"no card linking to {TABLE}?{query}"
    return int(match.group(1))


def table_rows(html):
    """{premises name: [cell text, ...]} from the table's body, as a reader sees it."""
    body = html.split('<tbody class="nhsuk-table__body">', 1)[1].split("</tbody>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = [text_of(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        rows[cells[0].split(" FQ0")[0].removeprefix("Premises ")] = cells
    return rows


def table_caption(html):
    return text_of(
        re.search(r'<caption class="nhsuk-table__caption">(.*?)</caption>', html).group(1)
    )


@pytest.mark.django_db
def test_dashboard_shows_the_hand_counted_figures(picture):
    client, _, _ = picture
    html = get_html(client, reverse("dashboard"))
    page = text_of(html)

    assert "4 premises. Every figure links to the premises behind it." in page
    levels = {
        "nhsmail": {"red": 1, "amber": 2, "green": 1},
        "smartcards": {"red": 2, "amber": 1, "green": 1},
        "eps": {"red": 1, "amber": 2, "green": 1},
        "records": {"red": 2, "amber": 1, "green": 1},
    }
    shown = {
        area: {level: card_number(html, f"{area}={level}") for level in counts}
        for area, counts in levels.items()
    }
    assert shown == levels

    # Certificates of people working there now: Eve's expired; Ann's (10 days) within 30;
    # Ann's and Ben's (45) within 60; those and Dan's (80) within 90. Leo has left; Fay's
    # (120) and Gil's (200) are further off; the other organisation's never count.
    assert card_number(html, "smartcards=expired") == 1
    assert card_number(html, "smartcards=expiring_30") == 1
    assert card_number(html, "smartcards=expiring_60") == 2
    assert "3 within 90 days ( see them )" in page
    # West's two requests, Gil's urgent.
    assert card_number(html, "smartcards=open_requests") == 2
    assert "1 urgent" in page
    # South (no cover at all) and East (3 days of cover) are below the 14-day point.
    assert "2 premises low on EPS tokens" in page
    # South's pharmacist is not ready; West has none.
    assert "2 premises without an SCR-ready pharmacist" in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("smartcards=expired", ["South Pharmacy"]),
        ("smartcards=expiring_30", ["North Pharmacy"]),
        ("smartcards=expiring_60", ["East Pharmacy", "North Pharmacy"]),
        ("smartcards=expiring_90", ["East Pharmacy", "North Pharmacy", "South Pharmacy"]),
        ("smartcards=open_requests", ["West Pharmacy"]),
        ("eps=low", ["East Pharmacy", "South Pharmacy"]),
        ("records=no_ready_pharmacist", ["South Pharmacy", "West Pharmacy"]),
        ("nhsmail=amber", ["East Pharmacy", "South Pharmacy"]),
        ("smartcards=red", ["South Pharmacy", "West Pharmacy"]),
        ("eps=green", ["North Pharmacy"]),
        ("records=amber", ["East Pharmacy"]),
    ],
)
def test_each_figure_leads_to_the_premises_behind_it(picture, query, names):
    client, _, _ = picture
    html = get_html(client, f"{TABLE}?{query}")
    assert table_caption(html) == f"{len(names)} premises"
    assert sorted(table_rows(html)) == names


@pytest.mark.django_db
def test_table_shows_each_standing_and_its_reason(picture):
    client, _, _ = picture
    html = get_html(client, TABLE)
    assert table_caption(html) == "4 premises"
    rows = table_rows(html)
    assert sorted(rows) == sorted(ROWS)
    areas = ["NHSmail", "Smartcards", "EPS tokens", "SCR/NCRS"]
    for name, expected in ROWS.items():
        cells = rows[name]
        assert cells[0] == f"Premises {name} {expected[0]}, {expected[3]}"
        for index, area in enumerate(areas):
            label, reason = expected[4 + 2 * index : 6 + 2 * index]
            assert cells[1 + index] == f"{area} {label} {reason}", (name, area)


@pytest.mark.django_db
def test_csv_holds_the_same_rows(picture):
    client, _, _ = picture
    response = client.get(TABLE, {"format": "csv"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    header, *rows = list(csv.reader(io.StringIO(body)))
    assert header == [
        "ODS code",
        "Premises",
        "Organisation",
        "ICB area",
        "NHSmail",
        "NHSmail: reason",
        "Smartcards",
        "Smartcards: reason",
        "EPS tokens",
        "EPS tokens: reason",
        "SCR/NCRS",
        "SCR/NCRS: reason",
    ]
    assert sorted(rows) == sorted(ROWS.values())


@pytest.mark.django_db
def test_api_gives_the_figures(picture):
    _, group, head_office = picture
    _, token = api_services.token_create(
        actor=head_office, organisation=group, name="Oracle", valid_days=30
    )
    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get(reverse("api_premises_list"))
    assert response.status_code == 200
    by_name = {premises["name"]: premises for premises in response.json()["results"]}
    assert sorted(by_name) == sorted(ROWS)

    def figures(name, area, *keys):
        compliance = by_name[name]["compliance"][area]
        return tuple(compliance[key] for key in keys)

    statuses = {
        name: tuple(by_name[name]["compliance"][area]["status"] for area in AREAS_API)
        for name in ROWS
    }
    assert statuses == {
        "North Pharmacy": ("green", "amber", "green", "green"),
        "South Pharmacy": ("amber", "red", "red", "red"),
        "West Pharmacy": ("red", "red", "amber", "red"),
        "East Pharmacy": ("amber", "green", "amber", "amber"),
    }
    for name, row in ROWS.items():
        for index, area in enumerate(AREAS_API):
            label, reason = row[4 + 2 * index : 6 + 2 * index]
            assert figures(name, area, "label", "reason") == (label, reason), (name, area)

    people = "qualifying_people"
    assert [figures(name, "nhsmail", people) for name in ROWS] == [(3,), (2,), (0,), (2,)]
    cards = ("certificates_expired", "certificates_expiring_90_days")
    assert figures("North Pharmacy", "smartcards", *cards) == (0, 1)
    assert figures("South Pharmacy", "smartcards", *cards) == (1, 1)
    assert figures("West Pharmacy", "smartcards", *cards) == (0, 0)
    assert figures("East Pharmacy", "smartcards", *cards) == (0, 1)
    requests = ("open_requests", "urgent_requests")
    assert [figures(name, "smartcards", *requests) for name in ROWS] == [
        (0, 0),
        (0, 0),
        (2, 1),
        (0, 0),
    ]
    tokens = ("stock", "days_of_cover", "open_orders")
    assert figures("North Pharmacy", "eps_tokens", *tokens) == (930, 93, 0)
    assert figures("South Pharmacy", "eps_tokens", *tokens) == (20, 0, 0)
    assert figures("West Pharmacy", "eps_tokens", *tokens) == (0, None, 0)
    assert figures("East Pharmacy", "eps_tokens", *tokens) == (30, 3, 1)
    readiness = ("ready_staff", "eligible_staff", "has_ready_pharmacist")
    assert figures("North Pharmacy", "scr_ncrs", *readiness) == (1, 1, True)
    assert figures("South Pharmacy", "scr_ncrs", *readiness) == (0, 1, False)
    assert figures("West Pharmacy", "scr_ncrs", *readiness) == (0, 0, False)
    assert figures("East Pharmacy", "scr_ncrs", *readiness) == (1, 2, True)


AREAS_API = ["nhsmail", "smartcards", "eps_tokens", "scr_ncrs"]
