import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent
from records import selectors, services
from records.guidance_content import PAGES, seed_guidance
from records.models import GuidancePage, GuidancePageVersion
from tests.conftest import sign_in
from tests.records.factories import GuidancePageFactory

TODAY = datetime.date(2026, 3, 16)


def page_fields(**overrides):
    fields = {
        "area": "eps",
        "title": "Ordering tokens",
        "summary": "How to order tokens.",
        "body": "Order them from **PCSE**.",
        "status": "published",
        "review_by": TODAY + datetime.timedelta(days=180),
    }
    fields.update(overrides)
    return fields


def form_data(**overrides):
    review_by = overrides.pop("review_by", TODAY + datetime.timedelta(days=180))
    data = {
        "title": "Ordering tokens",
        "summary": "How to order tokens.",
        "area": "eps",
        "body": "Order them from **PCSE**.",
        "status": "published",
        "review_by_day": str(review_by.day),
        "review_by_month": str(review_by.month),
        "review_by_year": str(review_by.year),
        "change_note": "",
    }
    data.update(overrides)
    return data


def error_summary(response):
    html = response.content.decode()
    assert response.status_code == 200
    assert "nhsuk-error-summary" in html, "expected an NHS.UK error summary"
    return html


@pytest.fixture
def admin_client(world):
    return sign_in(Client(), world.portal_admin)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 3, 16, 10, 0, tzinfo=datetime.UTC)):
        yield


@pytest.mark.django_db
class TestGuidanceServices:
    def test_create_keeps_the_first_version_and_audits(self, world):
        page = services.guidance_page_create(
            actor=world.portal_admin, slug="Tokens", **page_fields()
        )
        assert page.slug == "tokens"
        assert page.version == 1
        version = page.versions.get()
        assert (version.number, version.title, version.created_by) == (
            1,
            "Ordering tokens",
            world.portal_admin,
        )
        event = AuditEvent.objects.get(action="guidance.created")
        assert event.actor == world.portal_admin
        assert event.object_id == str(page.pk)

    def test_every_edit_keeps_a_version(self, world):
        page = services.guidance_page_create(
            actor=world.portal_admin, slug="tokens", **page_fields()
        )
        page = services.guidance_page_update(
            actor=world.portal_admin,
            page=page,
            expected_version=1,
            change_note="Clearer",
            **page_fields(body="Order them from PCSE Online."),
        )
        page = services.guidance_page_update(
            actor=world.portal_admin,
            page=page,
            expected_version=2,
            **page_fields(body="Order them from PCSE Online.", title="Tokens"),
        )
        assert page.version == 3
        versions = list(page.versions.order_by("number"))
        assert [v.body for v in versions] == [
            "Order them from **PCSE**.",
            "Order them from PCSE Online.",
            "Order them from PCSE Online.",
        ]
        assert [v.title for v in versions] == ["Ordering tokens", "Ordering tokens", "Tokens"]
        assert versions[1].change_note == "Clearer"
        updates = AuditEvent.objects.filter(action="guidance.updated").order_by("id")
        assert [e.changes["version"] for e in updates] == [2, 3]
        assert updates[1].changes["title"] == ["Ordering tokens", "Tokens"]

    def test_saving_without_a_change_adds_no_version(self, world):
        page = services.guidance_page_create(
            actor=world.portal_admin, slug="tokens", **page_fields()
        )
        services.guidance_page_update(
            actor=world.portal_admin, page=page, expected_version=1, **page_fields()
        )
        assert page.versions.count() == 1

    def test_an_edit_from_an_old_version_does_not_overwrite(self, world):
        page = services.guidance_page_create(
            actor=world.portal_admin, slug="tokens", **page_fields()
        )
        services.guidance_page_update(
            actor=world.portal_admin, page=page, expected_version=1, **page_fields(body="Newer")
        )
        with pytest.raises(services.GuidanceEditConflict):
            services.guidance_page_update(
                actor=world.portal_admin, page=page, expected_version=1, **page_fields(body="Old")
            )
        page.refresh_from_db()
        assert page.body == "Newer"

    @pytest.mark.parametrize("role", ["staff", "manager", "unlocker", "head_office"])
    def test_only_portal_admins_write_guidance(self, world, role):
        with pytest.raises(PermissionDenied):
            services.guidance_page_create(actor=world.user(role), slug="x", **page_fields())
        page = GuidancePageFactory()
        with pytest.raises(PermissionDenied):
            services.guidance_page_update(
                actor=world.user(role), page=page, expected_version=1, **page_fields()
            )

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"title": "   "}, "title", "Enter a title"),
            ({"summary": ""}, "summary", "Enter a summary"),
            ({"body": " \n "}, "body", "Enter the page content"),
            ({"review_by": TODAY - datetime.timedelta(days=1)}, "review_by", "on or after"),
            ({"review_by": datetime.date(2030, 1, 1)}, "review_by", "within 3 years"),
        ],
    )
    def test_bad_values_are_refused_with_a_message(self, world, overrides, field, message):
        with pytest.raises(ValidationError) as raised:
            services.guidance_page_create(
                actor=world.portal_admin, slug="tokens", **page_fields(**overrides)
            )
        assert message in " ".join(raised.value.message_dict[field])
        assert not GuidancePage.objects.filter(slug="tokens").exists()

    def test_review_date_may_be_today(self, world):
        page = services.guidance_page_create(
            actor=world.portal_admin, slug="tokens", **page_fields(review_by=TODAY)
        )
        assert page.review_by == TODAY

    @pytest.mark.parametrize(
        ("slug", "message"),
        [
            ("new", "used by the guidance pages"),
            ("two words", "lowercase letters"),
            ("-leading", "lowercase letters"),
            ("x" * 61, "up to 60"),
            ("ünicode", "lowercase letters"),
        ],
    )
    def test_bad_slugs(self, world, slug, message):
        with pytest.raises(ValidationError) as raised:
            services.guidance_page_create(actor=world.portal_admin, slug=slug, **page_fields())
        assert message in " ".join(raised.value.message_dict["slug"])

    def test_duplicate_slug(self, world):
        GuidancePageFactory(slug="tokens")
        with pytest.raises(ValidationError) as raised:
            services.guidance_page_create(actor=world.portal_admin, slug="tokens", **page_fields())
        assert "already exists" in raised.value.message_dict["slug"][0]


@pytest.mark.django_db
class TestReading:
    def test_everyone_signed_in_reads_a_published_page(self, world, client_for):
        page = GuidancePageFactory(body="Use **PCSE**.\n\n<script>alert(1)</script>")
        for role in ["staff", "unlocker", "head_office"]:
            response = client_for(role).get(reverse("guidance_page", args=[page.slug]))
            html = response.content.decode()
            assert "<strong>PCSE</strong>" in html
            assert "alert(1)" not in html
            assert "Edit this page" not in html
            assert "Next review due" in html

    def test_drafts_are_hidden_except_from_portal_admins(self, world, client_for):
        draft = GuidancePageFactory(status="draft", title="Secret draft")
        url = reverse("guidance_page", args=[draft.slug])
        for role in ["staff", "manager", "unlocker", "head_office"]:
            assert client_for(role).get(url).status_code == 404
            listing = client_for(role).get(reverse("guidance_list")).content.decode()
            assert "Secret draft" not in listing
            search = client_for(role).get(reverse("guidance_list"), {"q": "secret"})
            assert "Secret draft" not in search.content.decode()
        admin_page = client_for("portal_admin").get(url).content.decode()
        assert "Only portal admins can see this page" in admin_page
        assert (
            "Secret draft"
            in client_for("portal_admin").get(reverse("guidance_list")).content.decode()
        )

    def test_admins_see_review_overdue(self, world, client_for):
        page = GuidancePageFactory(review_by=TODAY - datetime.timedelta(days=1))
        html = client_for("portal_admin").get(reverse("guidance_page", args=[page.slug]))
        assert "Review overdue" in html.content.decode()
        staff_html = client_for("staff").get(reverse("guidance_page", args=[page.slug]))
        assert "Review overdue" not in staff_html.content.decode()

    def test_list_is_grouped_by_area(self, world, client_for):
        GuidancePageFactory(area="eps", title="Tokens page")
        GuidancePageFactory(area="smartcards", title="Unlock page")
        html = client_for("staff").get(reverse("guidance_list")).content.decode()
        assert html.index("Smartcards") < html.index("Unlock page")
        assert html.index("Electronic Prescription Service") < html.index("Tokens page")

    def test_search_finds_words_in_the_body(self, world, client_for):
        GuidancePageFactory(title="Tokens", body="Order dispensing tokens through PCSE Online.")
        GuidancePageFactory(title="Unlocking", body="Care Identity Management.")
        html = client_for("staff").get(reverse("guidance_list"), {"q": "pcse"}).content.decode()
        assert "Tokens" in html
        assert "Unlocking" not in html

    @pytest.mark.parametrize("query", ["x" * 201, "'); DROP TABLE x; --", "\x00", "!!!", "&|!:*"])
    def test_odd_searches_never_fail(self, world, client_for, query):
        response = client_for("staff").get(reverse("guidance_list"), {"q": query})
        assert response.status_code == 200

    def test_overlong_search_says_so(self, world, client_for):
        response = client_for("staff").get(reverse("guidance_list"), {"q": "x" * 201})
        assert "at most 200 characters" in response.content.decode()

    def test_list_and_search_run_a_fixed_number_of_queries(self, world, django_assert_num_queries):
        GuidancePage.objects.all().delete()
        client = sign_in(Client(), world.staff)
        counts = []
        selectors.can_edit_guidance(world.staff)  # works out the user's roles once
        client.get(reverse("guidance_list"))  # the session's once-a-minute refresh
        for size in (3, 12):
            while GuidancePage.objects.count() < size:
                GuidancePageFactory(body="about tokens")
            with django_assert_num_queries(1):
                assert len(list(selectors.guidance_pages_for_user(world.staff))) == size
            with django_assert_num_queries(1):
                assert len(list(selectors.guidance_search(world.staff, "tokens"))) == size
            counts.append((_request_queries(client, {}), _request_queries(client, {"q": "tokens"})))
        assert counts[0] == counts[1]


def _request_queries(client, params):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("guidance_list"), params).status_code == 200
    return len(queries)


@pytest.mark.django_db
class TestEditing:
    def test_admin_creates_a_page(self, world, admin_client):
        response = admin_client.post(
            reverse("guidance_create"), {**form_data(), "slug": "eps-ordering"}
        )
        assert response.status_code == 302
        page = GuidancePage.objects.get(slug="eps-ordering")
        assert response.url == reverse("guidance_page", args=["eps-ordering"])
        assert page.updated_by == world.portal_admin

    def test_admin_edits_and_history_shows_who_changed_what(self, world, admin_client):
        page = GuidancePageFactory(slug="tokens", title="Ordering tokens", body="Old text")
        response = admin_client.post(
            reverse("guidance_edit", args=["tokens"]),
            form_data(body="New text", change_note="Now PCSE Online", version="1"),
        )
        assert response.status_code == 302, response.content.decode()
        page.refresh_from_db()
        assert page.version == 2
        history = admin_client.get(reverse("guidance_history", args=["tokens"])).content.decode()
        assert "Version 2" in history
        assert "Pat Admin" in history
        assert "Now PCSE Online" in history
        assert "Content" in history
        old = admin_client.get(reverse("guidance_version", args=["tokens", 1])).content.decode()
        assert "Old text" in old
        new = admin_client.get(reverse("guidance_version", args=["tokens", 2])).content.decode()
        assert "<del>Old text</del>" in new
        assert "<ins>New text</ins>" in new

    def test_missing_version_is_404(self, world, admin_client):
        GuidancePageFactory(slug="tokens")
        response = admin_client.get(reverse("guidance_version", args=["tokens", 9]))
        assert response.status_code == 404

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"title": ""}, "Enter a title"),
            ({"title": "   "}, "Enter a title"),
            ({"summary": " "}, "Enter a summary"),
            ({"body": ""}, "Enter the page content"),
            ({"body": "x" * 50_001}, "at most 50000 characters"),
            ({"title": "x" * 151}, "at most 150 characters"),
            ({"status": "secret"}, "Select a valid choice"),
            ({"area": "nowhere"}, "Select a valid choice"),
            ({"review_by": datetime.date(2026, 3, 15)}, "on or after the last update"),
            ({"review_by_day": "31", "review_by_month": "2"}, "real date"),
            (
                {"review_by_day": "", "review_by_month": "", "review_by_year": ""},
                "Enter the date this page should be reviewed by",
            ),
            ({"title": "Null\x00byte"}, "Null characters are not allowed"),
        ],
    )
    def test_bad_edits_get_a_message_and_keep_what_was_typed(
        self, world, admin_client, overrides, message
    ):
        page = GuidancePageFactory(slug="tokens", body="Original text")
        data = form_data(**overrides, version="1")
        data.setdefault("body", "Typed text")
        if "body" not in overrides:
            data["body"] = "Typed text that must not be lost"
        response = admin_client.post(reverse("guidance_edit", args=["tokens"]), data)
        html = error_summary(response)
        assert message in html
        if "body" not in overrides:
            assert "Typed text that must not be lost" in html
        page.refresh_from_db()
        assert page.body == "Original text"
        assert page.version == 1

    @pytest.mark.parametrize(
        ("slug", "message"),
        [
            ("", "Enter a web address name"),
            ("new", "used by the guidance pages"),
            ("Has Spaces", "lowercase letters"),
            ("contacts-dup", "already exists"),
        ],
    )
    def test_bad_slugs_on_create(self, world, admin_client, slug, message):
        GuidancePageFactory(slug="contacts-dup")
        response = admin_client.post(reverse("guidance_create"), {**form_data(), "slug": slug})
        html = error_summary(response)
        assert message in html
        assert "Order them from **PCSE**." in html

    def test_a_conflicting_edit_keeps_the_text_and_a_second_save_wins(self, world, admin_client):
        page = GuidancePageFactory(slug="tokens", body="Original")
        services.guidance_page_update(
            actor=world.portal_admin,
            page=page,
            expected_version=1,
            **page_fields(body="Someone else's"),
        )
        response = admin_client.post(
            reverse("guidance_edit", args=["tokens"]), form_data(body="Mine", version="1")
        )
        html = error_summary(response)
        assert "while you were editing" in html
        assert "Mine" in html
        assert 'name="version" value="2"' in html
        again = admin_client.post(
            reverse("guidance_edit", args=["tokens"]), form_data(body="Mine", version="2")
        )
        assert again.status_code == 302
        page.refresh_from_db()
        assert page.body == "Mine"
        assert page.version == 3

    def test_admin_list_flags_drafts_and_overdue_pages(self, world, admin_client):
        GuidancePageFactory(status="draft", title="A draft")
        GuidancePageFactory(title="Old", review_by=TODAY - datetime.timedelta(days=3))
        html = admin_client.get(reverse("guidance_list")).content.decode()
        assert "Draft" in html
        assert "Review overdue" in html
        assert "Add a guidance page" in html


@pytest.mark.django_db
class TestSeededGuidance:
    SLUGS = {
        "nhsmail",
        "nhsmail-helpdesk",
        "smartcards",
        "smartcard-self-service-unlock",
        "eps",
        "eps-tokens",
        "scr-ncrs",
        "contacts",
    }

    def test_every_promised_slug_is_seeded(self):
        assert {page["slug"] for page in PAGES} == self.SLUGS

    def test_seeding_is_idempotent_and_never_overwrites(self, world):
        from django.utils import timezone

        GuidancePage.objects.all().delete()
        seed_guidance(GuidancePage, GuidancePageVersion, now=timezone.now())
        assert set(GuidancePage.objects.values_list("slug", flat=True)) == self.SLUGS
        page = GuidancePage.objects.get(slug="contacts")
        services.guidance_page_update(
            actor=world.portal_admin,
            page=page,
            expected_version=1,
            **page_fields(area="general", title="Contacts", body="Edited by an admin"),
        )
        assert seed_guidance(GuidancePage, GuidancePageVersion, now=timezone.now()) == []
        assert GuidancePage.objects.get(slug="contacts").body == "Edited by an admin"
        assert GuidancePageVersion.objects.count() == len(self.SLUGS) + 1

    def test_contacts_page_has_the_ra(self, world):
        from django.utils import timezone

        seed_guidance(GuidancePage, GuidancePageVersion, now=timezone.now())
        page = GuidancePage.objects.get(slug="contacts")
        for fact in ["The Health Informatics Service", "0845 127 2600", "01484 355220", "helpdesk"]:
            assert fact in page.body

    def test_seeded_pages_render_and_link_only_to_seeded_pages(self, world, client_for):
        import re

        from django.utils import timezone

        seed_guidance(GuidancePage, GuidancePageVersion, now=timezone.now())
        client = client_for("staff")
        for slug in self.SLUGS:
            html = client.get(reverse("guidance_page", args=[slug])).content.decode()
            for linked in re.findall(r'href="/guidance/([a-z0-9-]+)/"', html):
                assert linked in self.SLUGS, (slug, linked)
