"""Every persona's home page and main pages run a fixed, small number of queries.

Each page is requested at two sizes of the same world: as built, then with more staff
at the premises (each with an NHSmail account and link, a smartcard and an open
request), token movements and orders, more premises in the organisation and more
guidance. The count must not grow with the data, and must stay within the page's
budget (a staff page at most 10, including the session, the user and what they hold).
"""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import standings
from nhsmail.models import SharedMailbox
from tests.eps.factories import TokenOrderFactory, movement
from tests.factories import MembershipFactory, PremisesFactory
from tests.nhsmail.factories import MailboxLinkFactory, PersonalAccountFactory, SharedMailboxFactory
from tests.records.factories import GuidancePageFactory
from tests.smartcards.factories import SmartcardHolderFactory, SmartcardRequestFactory

STAFF_PAGE_BUDGET = 10

# (persona, URL name, takes the premises pk, budget). Pages that reached below
# STAFF_PAGE_BUDGET keep what they reached: the home page reads what the user holds and
# every area's stored standings once, the NHSmail page its staff with their accounts and
# links in one query, the tokens page its premises with its figures, its stock history
# and its open and recent orders in one query each.
PAGES = [
    ("staff", "home", False, 9),
    ("staff", "premises_detail", True, STAFF_PAGE_BUDGET),
    ("staff", "nhsmail_premises", True, 9),
    ("staff", "smartcard_premises", True, STAFF_PAGE_BUDGET),
    ("staff", "tokens_premises", True, 9),
    ("staff", "smartcard_my_card", False, STAFF_PAGE_BUDGET),
    ("staff", "guidance_list", False, STAFF_PAGE_BUDGET),
    ("manager", "home", False, 8),
    ("manager", "premises_detail", True, STAFF_PAGE_BUDGET),
    ("manager", "premises_overview", True, STAFF_PAGE_BUDGET),
    ("manager", "nhsmail_premises", True, 9),
    ("manager", "smartcard_premises", True, STAFF_PAGE_BUDGET),
    ("manager", "tokens_premises", True, 9),
    ("unlocker", "home", False, 7),
    ("unlocker", "smartcard_queue", False, STAFF_PAGE_BUDGET),
    ("head_office", "home", False, 6),
    ("head_office", "smartcard_cover", False, STAFF_PAGE_BUDGET),
    ("portal_admin", "home", False, STAFF_PAGE_BUDGET),
]


def _grow(world, people):
    """Add `people` staff at the premises, each with what every area shows of them, and
    as many premises, movements, orders and guidance pages."""
    premises = world.premises
    mailbox = SharedMailbox.objects.filter(premises=premises).first() or SharedMailboxFactory(
        premises=premises
    )
    for _ in range(people):
        member = MembershipFactory(premises=premises).user
        account = PersonalAccountFactory(user=member)
        MailboxLinkFactory(account=account, mailbox=mailbox)
        holder = SmartcardHolderFactory(user=member)
        SmartcardRequestFactory(holder=holder, premises=premises, raised_by=member)
        PremisesFactory(organisation=premises.organisation)
        movement(premises, -5, days_ago=people % 50)
        TokenOrderFactory(premises=premises, placed=True)
        GuidancePageFactory()
    movement(premises, 1000, days_ago=60)
    standings.standings_refresh(on=timezone.localdate())


def _queries(client, url):
    client.get(url)  # the first request may save the session; count a later one
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize(("persona", "name", "with_premises", "budget"), PAGES)
def test_page_queries_do_not_grow_with_data(
    world, client_for, persona, name, with_premises, budget
):
    url = reverse(name, args=[world.premises.pk] if with_premises else [])
    SmartcardHolderFactory(user=world.staff)
    _grow(world, 1)
    client = client_for(persona)
    small = _queries(client, url)
    _grow(world, 6)
    large = _queries(client, url)
    assert large == small, f"{persona} {name}: {small} queries, then {large} with more data"
    assert large <= budget, f"{persona} {name}: {large} queries, budget {budget}"


def _session_writes(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [
        query["sql"]
        for query in captured.captured_queries
        if "django_session" in query["sql"] and not query["sql"].startswith("SELECT")
    ]


@pytest.mark.django_db
def test_a_session_is_written_at_most_once_a_minute(world, client_for):
    home = reverse("home")
    start = timezone.now()
    client = client_for("staff")
    with time_machine.travel(start, tick=False):
        client.get(home)
        assert _session_writes(client, home) == []
    with time_machine.travel(start + timedelta(seconds=59), tick=False):
        assert _session_writes(client, home) == []
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        assert len(_session_writes(client, home)) == 1
    # Idle for the whole age after that write: signed out.
    with time_machine.travel(start + timedelta(seconds=61 + 30 * 60 + 1), tick=False):
        response = client.get(home)
    assert response.status_code == 302
