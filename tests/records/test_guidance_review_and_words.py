"""Guidance: the list of pages due for review, search in people's own words, and the API
docs rendering their Markdown."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from records import selectors
from records.guidance_content import seed_guidance
from records.models import GuidancePage, GuidancePageVersion
from records.search import refresh_search_vectors, word_forms
from records.validators import RESERVED_SLUGS
from tests.conftest import sign_in
from tests.records.factories import GuidancePageFactory

pytestmark = pytest.mark.django_db


def html_for(world, role, url, **query):
    response = sign_in(Client(), world.user(role)).get(url, query)
    return response.status_code, response.content.decode()


class TestDueForReview:
    def test_lists_overdue_and_due_soon_pages_soonest_first(self, world):
        GuidancePage.objects.all().delete()
        today = timezone.localdate()
        GuidancePageFactory(title="Overdue page", review_by=today - timedelta(days=3))
        GuidancePageFactory(title="Due soon page", review_by=today + timedelta(days=10))
        GuidancePageFactory(title="Later page", review_by=today + timedelta(days=200))
        status, html = html_for(world, "portal_admin", reverse("guidance_due_for_review"))
        assert status == 200
        assert "Overdue page" in html and "Due soon page" in html
        assert "Later page" not in html
        assert html.index("Overdue page") < html.index("Due soon page")
        assert "Overdue" in html and "Due soon" in html

    def test_admins_home_page_lists_them_with_a_link(self, world):
        GuidancePage.objects.all().delete()
        GuidancePageFactory(
            title="Due soon page", review_by=timezone.localdate() + timedelta(days=5)
        )
        _, html = html_for(world, "portal_admin", reverse("home"))
        assert "Due soon page" in html
        assert reverse("guidance_due_for_review") in html

    @pytest.mark.parametrize(
        "role", ["staff", "manager", "unlocker", "head_office", "other_manager"]
    )
    def test_others_get_404_and_no_link(self, world, role):
        status, _ = html_for(world, role, reverse("guidance_due_for_review"))
        assert status == 404
        _, html = html_for(world, role, reverse("guidance_list"))
        assert reverse("guidance_due_for_review") not in html

    def test_its_address_cannot_be_a_page_slug(self):
        assert "due-for-review" in RESERVED_SLUGS


class TestSearchInPeoplesWords:
    @pytest.fixture
    def seeded(self, db):
        seed_guidance(GuidancePage, GuidancePageVersion, now=timezone.now())
        refresh_search_vectors(GuidancePage.objects.all())

    @pytest.mark.parametrize(
        "query",
        ["smartcard locked", "card locked", "locked card", "unlocking my smartcard"],
    )
    def test_finds_the_page_on_unlocking_your_own_smartcard(self, world, seeded, query):
        slugs = [page.slug for page in selectors.guidance_search(world.staff, query)]
        assert "smartcard-self-service-unlock" in slugs, (connection.vendor, slugs)

    def test_email_finds_nhsmail(self, world, seeded):
        slugs = [page.slug for page in selectors.guidance_search(world.staff, "email helpdesk")]
        assert "nhsmail-helpdesk" in slugs

    def test_every_word_must_still_match(self, world, seeded):
        assert list(selectors.guidance_search(world.staff, "smartcard zebra")) == []

    def test_word_forms(self):
        assert {"lock", "unlock", "locked"} <= set(word_forms("locked"))
        assert {"card", "smartcard"} <= set(word_forms("cards"))
        assert {"email", "nhsmail"} <= set(word_forms("email"))

    @pytest.mark.parametrize("query", ['"smartcard', "-", "or", "%", "' OR 1=1 --", "x" * 300])
    def test_odd_queries_answer_a_page(self, world, seeded, query):
        status, _ = html_for(world, "staff", reverse("guidance_list"), q=query)
        assert status == 200


def test_api_docs_render_markdown(world):
    status, html = html_for(world, "head_office", reverse("api_docs"))
    assert status == 200
    assert "<code>Authorization: Bearer &lt;token&gt;</code>" in html
    assert "`Authorization" not in html
