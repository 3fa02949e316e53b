import csv
import io
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import SentNotification
from eps.selectors import token_figures
from nhsmail.models import ComplianceSnapshot
from nhsmail.selectors import organisation_compliance
from pharmacy_portal.dashboard import selectors
from pharmacy_portal.dashboard.forms import TableFilterForm
from pharmacy_portal.dashboard.services import weekly_digests_send
from pharmacy_portal.tasks import send_weekly_digests
from records.selectors import organisation_readiness_totals, readiness_figures
from smartcards.selectors import premises_smartcard_figures, smartcard_figure_totals
from tests.conftest import sign_in
from tests.eps.factories import movement
from tests.factories import MembershipFactory, PremisesFactory
from tests.nhsmail.factories import MailboxLinkFactory, PersonalAccountFactory, SharedMailboxFactory
from tests.records.factories import ReadinessRecordFactory
from tests.smartcards.factories import SmartcardRequestFactory, holder_at


def varied_premises(organisation, index):
    """A premises whose standing in each area depends on index."""
    premises = PremisesFactory(organisation=organisation, name=f"Premises {index:03d}")
    mailbox = SharedMailboxFactory(premises=premises)
    for _ in range(index % 4):
        user = MembershipFactory(premises=premises).user
        MailboxLinkFactory(account=PersonalAccountFactory(user=user), mailbox=mailbox)
    if index % 3 == 0:
        holder = holder_at(
            premises, certificate_expires_on=timezone.localdate() + timedelta(days=20)
        )
        SmartcardRequestFactory(holder=holder, premises=premises, urgent=index % 2 == 0)
    if index % 2 == 0:
        ReadinessRecordFactory(membership__premises=premises)
    movement(premises, 500, days_ago=30)
    movement(premises, -(10 + 10 * (index % 5)), days_ago=7, period_days=7)
    return premises


@pytest.fixture
def group(world):
    return [varied_premises(world.premises.organisation, index) for index in range(9)]


def rows_for(user, **filters):
    return selectors.table_rows(user, selectors.TableFilter(**filters))


@pytest.mark.django_db
class TestHeadlineAgreesWithAreas:
    def test_figures(self, world, group):
        premises = selectors.dashboard_premises(world.head_office)
        headline = selectors.headline(selectors.premises_rows(premises))
        assert headline.premises_count == 11

        nhsmail = [row.evaluation.status for row in organisation_compliance(premises)]
        assert headline.nhsmail["red"] == nhsmail.count("red")
        assert headline.nhsmail["amber"] == nhsmail.count("amber")

        totals = smartcard_figure_totals(premises_smartcard_figures(premises))
        assert headline.expiring_30 == totals["expiring_30"] > 0
        assert headline.open_requests == totals["open_requests"] > 0

        assert headline.low_on_tokens == sum(1 for f in token_figures(premises) if f.is_low)
        readiness = organisation_readiness_totals(readiness_figures(premises))
        assert headline.without_ready_pharmacist == readiness["without_ready_pharmacist"]

    def test_head_office_sees_only_its_organisation(self, world, group):
        PremisesFactory(organisation=world.other_premises.organisation)
        names = {row.premises.name for row in rows_for(world.head_office)}
        assert world.other_premises.name not in names
        assert len(names) == 11
        assert len(rows_for(world.portal_admin)) == 13


@pytest.mark.django_db
class TestTable:
    @pytest.mark.parametrize(
        "filters",
        [
            {"nhsmail": "red"},
            {"nhsmail": "green"},
            {"smartcards": "expiring_30"},
            {"smartcards": "open_requests"},
            {"tokens": "low"},
            {"records": "no_ready_pharmacist"},
            {"q": "premises 00"},
            {"nhsmail": "amber", "records": "red"},
        ],
    )
    def test_csv_matches_the_filtered_table_row_for_row(self, world, group, filters):
        client = sign_in(Client(), world.head_office)
        url = reverse("dashboard_table")
        expected = [row.premises.ods_code for row in rows_for(world.head_office, **filters)]
        response = client.get(url, {**filters, "format": "csv"})
        exported = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert [row[0] for row in exported[1:]] == expected
        html = client.get(url, filters).content.decode()
        for code in expected:
            assert code in html

    def test_filters_do_what_they_say(self, world, group):
        assert all(r.nhsmail_status == "red" for r in rows_for(world.head_office, nhsmail="red"))
        assert all(
            r.premises.expiring_30 for r in rows_for(world.head_office, smartcards="expiring_30")
        )
        assert all(
            not r.premises.has_ready_pharmacist
            for r in rows_for(world.head_office, records="no_ready_pharmacist")
        )
        assert [r.premises.name for r in rows_for(world.head_office, q="PREMISES 004")] == [
            "Premises 004"
        ]

    def test_sort_by_area_puts_red_first(self, world, group):
        rows = rows_for(world.head_office, sort="nhsmail")
        severities = [selectors.SEVERITY[r.nhsmail_status] for r in rows]
        assert severities == sorted(severities)

    @pytest.mark.parametrize(
        "query",
        [
            {"region": "abc", "nhsmail": "purple", "sort": "'; DROP TABLE x;--", "page": "-3"},
            {"q": "x" * 5000},
            {"q": "\x00<script>"},
            {"smartcards": "expiring_9999"},
        ],
    )
    def test_bad_query_values_never_break_the_page(self, world, group, query):
        client = sign_in(Client(), world.head_office)
        assert client.get(reverse("dashboard_table"), query).status_code == 200
        assert client.get(reverse("dashboard_table"), {**query, "format": "csv"}).status_code == 200

    def test_every_filter_value_is_offered_by_the_form(self):
        offered = {
            value
            for name in ("smartcards", "tokens", "records")
            for value, _ in TableFilterForm.base_fields[name].choices
        }
        assert (
            set(selectors.SMARTCARD_FILTERS)
            | set(selectors.TOKEN_FILTERS)
            | set(selectors.RECORDS_FILTERS)
            <= offered
        )

    def test_export_neutralises_formulas(self, world):
        PremisesFactory(organisation=world.premises.organisation, name="=cmd|' /C calc'!A0")
        response = sign_in(Client(), world.head_office).get(
            reverse("dashboard_table"), {"format": "csv"}
        )
        body = b"".join(response.streaming_content).decode()
        assert "'=cmd" in body
        assert "\n=cmd" not in body and ",=cmd" not in body


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        assert response.status_code == 200
    return len(queries)


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["dashboard", "dashboard_table"])
def test_queries_fixed_as_premises_grow(world, url_name):
    client = sign_in(Client(), world.head_office)
    url = reverse(url_name)
    client.get(url)
    for index in range(3):
        varied_premises(world.premises.organisation, index)
    small = count_queries(client, url)
    for index in range(3, 15):
        varied_premises(world.premises.organisation, index)
    assert count_queries(client, url) == small


@pytest.mark.django_db
def test_premises_overview_pulls_every_area(world, group):
    premises = group[0]
    html = (
        sign_in(Client(), world.head_office)
        .get(reverse("premises_overview", args=[premises.pk]))
        .content.decode()
    )
    for url in (
        reverse("nhsmail_premises", args=[premises.pk]),
        reverse("smartcard_premises", args=[premises.pk]),
        reverse("tokens_premises", args=[premises.pk]),
        reverse("readiness_premises", args=[premises.pk]),
    ):
        assert url in html


@pytest.mark.django_db
def test_trend_counts_snapshots_per_week(world):
    today = timezone.localdate()
    for weeks_ago, status in [(0, "green"), (1, "amber"), (2, "red"), (13, "red")]:
        ComplianceSnapshot.objects.create(
            premises=world.premises,
            day=today - timedelta(weeks=weeks_ago),
            status=status,
            qualifying_count=0,
            reason="x",
        )
    trend = selectors.nhsmail_trend(selectors.dashboard_premises(world.head_office))
    assert len(trend) == 12
    assert (trend[-1].green, trend[-2].amber, trend[-3].red) == (1, 1, 1)
    assert trend[-1].compliant_percent == 100
    assert trend[0].total == 0
    by_region = selectors.nhsmail_trend_by_region(selectors.dashboard_premises(world.head_office))
    assert list(by_region) == [world.premises.region.name]


@pytest.mark.django_db
class TestWeeklyDigest:
    def test_once_per_week(self, world, group, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            assert weekly_digests_send() == 2  # the head office of each organisation
            assert weekly_digests_send() == 0
        digest = next(m for m in mail.outbox if world.head_office.email in m.to)
        assert "Weekly compliance digest" in digest.subject
        assert "Needs action now" in digest.body
        assert SentNotification.objects.count() == 2

    def test_reports_what_changed(self, world, django_capture_on_commit_callbacks):
        today = timezone.localdate()
        ComplianceSnapshot.objects.create(
            premises=world.premises,
            day=today - timedelta(days=7),
            status="green",
            qualifying_count=3,
            reason="",
        )
        ComplianceSnapshot.objects.create(
            premises=world.premises, day=today, status="red", qualifying_count=1, reason=""
        )
        with django_capture_on_commit_callbacks(execute=True):
            weekly_digests_send()
        digest = next(m for m in mail.outbox if world.head_office.email in m.to)
        assert f"{world.premises.name}: green -> red" in digest.body


def test_digest_through_a_real_worker(real_celery_worker):
    from tests.factories import OrganisationAdminFactory

    admin = OrganisationAdminFactory()
    PremisesFactory(organisation=admin.organisation)
    send_weekly_digests.delay().get(timeout=60)
    send_weekly_digests.delay().get(timeout=60)
    import time

    for _ in range(50):
        if mail.outbox:
            break
        time.sleep(0.1)
    time.sleep(0.5)
    assert [m.to for m in mail.outbox] == [[admin.user.email]]


LOCAL_CACHE = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture
def remembering(settings):
    settings.DASHBOARD_CACHE_SECONDS = 120
    settings.CACHES = {
        "default": {**LOCAL_CACHE["default"], "LOCATION": f"dashboard-{id(settings)}"}
    }


@pytest.mark.django_db
class TestRememberedFigures:
    def test_dashboard_keeps_figures_and_says_when_they_were_worked_out(
        self, world, group, remembering
    ):
        client = sign_in(Client(), world.head_office)
        first = client.get(reverse("dashboard"))
        assert "Figures worked out at" in first.content.decode()
        assert "every 2 minutes" in first.content.decode()
        premises_count = first.context["headline"].premises_count
        PremisesFactory(organisation=world.premises.organisation)
        # The new premises changes which premises are asked about, so the figures are
        # worked out again at once rather than shown stale.
        again = client.get(reverse("dashboard"))
        assert again.context["headline"].premises_count == premises_count + 1
        with CaptureQueriesContext(connection) as hit:
            client.get(reverse("dashboard"))
        assert len(hit.captured_queries) < count_queries_fresh(client)

    def test_people_watching_other_premises_never_share_figures(self, world, group, remembering):
        ours = sign_in(Client(), world.head_office).get(reverse("dashboard"))
        theirs = sign_in(Client(), world.other_head_office).get(reverse("dashboard"))
        assert ours.context["headline"].premises_count == 2 + len(group)
        assert theirs.context["headline"].premises_count == 1

    def test_table_pages_through_remembered_order(self, world, group, remembering, settings):
        client = sign_in(Client(), world.head_office)
        expected = [row.premises.name for row in rows_for(world.head_office, sort="nhsmail")]
        from pharmacy_portal.dashboard import views

        shown = []
        original = views.PAGE_SIZE
        views.PAGE_SIZE = 4
        try:
            for page in (1, 2, 3):
                response = client.get(reverse("dashboard_table"), {"sort": "nhsmail", "page": page})
                shown += [row.premises.name for row in response.context["page"].object_list]
        finally:
            views.PAGE_SIZE = original
        assert shown == expected

    def test_a_cache_that_does_not_answer_only_makes_the_page_slower(self, world, group, settings):
        settings.DASHBOARD_CACHE_SECONDS = 120
        # A Redis address nothing listens on: every cache call fails to connect.
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:9/0",
            }
        }
        client = sign_in(Client(), world.head_office)
        assert client.get(reverse("dashboard")).status_code == 200
        assert client.get(reverse("dashboard_table")).status_code == 200


def count_queries_fresh(client):
    from django.core.cache import cache

    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("dashboard"))
    return len(queries.captured_queries)
