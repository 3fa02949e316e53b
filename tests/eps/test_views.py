"""The token pages: every form's bad input, the chart, the head-office table and CSV."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from eps import services
from eps.models import OrderEscalation, PcseOrderer, StockMovement, TokenOrder, TokenSettings
from eps.views import csv_safe
from tests.conftest import sign_in
from tests.eps.factories import PcseOrdererFactory, TokenOrderFactory, movement, steady_usage
from tests.factories import MembershipFactory, PremisesFactory


def error_summary(response):
    assert response.status_code == 200
    html = response.content.decode()
    assert "nhsuk-error-summary" in html, "expected an NHS.UK error summary"
    return html


def date_parts(name, day):
    return {f"{name}_day": day.day, f"{name}_month": day.month, f"{name}_year": day.year}


def today():
    return timezone.localdate()


def stock_total(premises):
    return sum(StockMovement.objects.filter(premises=premises).values_list("quantity", flat=True))


@pytest.mark.django_db
class TestPremisesPage:
    def test_page_shows_figures_chart_and_table(self, world):
        steady_usage(world.premises, 10, opening=10 * 56 + 300)
        TokenOrderFactory(premises=world.premises, overdue=True)
        response = sign_in(Client(), world.staff).get(
            reverse("tokens_premises", args=[world.premises.pk])
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert re.search(r'id="tokens-in-stock">\s*300<', html)
        assert "10.0 tokens a day" in html
        assert "30 days" in html
        assert "<svg" in html and '<title id="stock-chart-title">' in html
        assert '<desc id="stock-chart-desc">' in html
        assert "Stock each day, as a table" in html
        assert "Overdue" in html
        assert "PCSE Online" in html and "does not place the order" in html
        assert " style=" not in html and "<style" not in html
        assert "/guidance/eps-tokens/" in html
        assert "Record a stock count" not in html, "staff do not count"

    def test_no_history_says_not_known(self, world):
        html = (
            sign_in(Client(), world.manager)
            .get(reverse("tokens_premises", args=[world.premises.pk]))
            .content.decode()
        )
        assert "Not known yet: no usage recorded in the last 8 weeks" in html
        assert "Record a stock count" in html

    def test_low_stock_warning(self, world):
        movement(world.premises, 50, days_ago=5)
        movement(world.premises, -30)
        html = (
            sign_in(Client(), world.staff)
            .get(reverse("tokens_premises", args=[world.premises.pk]))
            .content.decode()
        )
        assert "Tokens are running low" in html
        assert "Order tokens on PCSE Online now" in html

    def test_page_queries_do_not_grow_with_history(self, world, django_assert_num_queries):
        client = sign_in(Client(), world.manager)
        url = reverse("tokens_premises", args=[world.premises.pk])
        steady_usage(world.premises, 3, days=5)
        TokenOrderFactory(premises=world.premises, placed=True)
        client.get(url)
        with django_assert_num_queries(9) as small:
            client.get(url)
        steady_usage(world.premises, 3, days=50)
        for _ in range(5):
            TokenOrderFactory(premises=world.premises, placed=True)
            TokenOrderFactory(
                premises=world.premises,
                status="cancelled",
                cancel_reason="x",
                cancelled_at=timezone.now(),
            )
        with django_assert_num_queries(len(small)):
            client.get(url)


@pytest.mark.django_db
class TestRecordUsage:
    def post(self, world, user=None, **data):
        values = {"quantity": "25", "period_days": "1", **date_parts("occurred_on", today())}
        values.update(data)
        return sign_in(Client(), user or world.staff).post(
            reverse("tokens_usage_record", args=[world.premises.pk]), values
        )

    def test_quick_usage_from_the_premises_page(self, world):
        movement(world.premises, 100)
        page = sign_in(Client(), world.staff).get(
            reverse("tokens_premises", args=[world.premises.pk])
        )
        assert f'action="{reverse("tokens_usage_record", args=[world.premises.pk])}"' in (
            page.content.decode()
        )
        response = self.post(world)
        assert response.status_code == 302
        assert response.url == reverse("tokens_premises", args=[world.premises.pk])
        assert stock_total(world.premises) == 75
        follow = sign_in(Client(), world.staff).get(response.url)
        assert follow.status_code == 200

    def test_a_week(self, world):
        movement(world.premises, 100)
        self.post(world, quantity="70", period_days="7")
        assert StockMovement.objects.get(kind="usage").period_days == 7

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"quantity": "0"}, "of 1 or more"),
            ({"quantity": "-5"}, "of 1 or more"),
            ({"quantity": "1.5"}, "whole number"),
            ({"quantity": "ten"}, "whole number"),
            ({"quantity": ""}, "Enter the number of tokens"),
            ({"quantity": "100001"}, "100,000 or fewer"),
            ({"quantity": "9" * 40}, "100,000 or fewer"),
            ({"quantity": "101"}, "more than the 100 tokens in stock"),
            ({"period_days": "3"}, "Select a valid choice"),
            ({"period_days": ""}, "Choose whether this is one day"),
            (date_parts("occurred_on", today() + timedelta(days=1)), "today or in the past"),
            (date_parts("occurred_on", today() - timedelta(days=400)), "last 90 days"),
            ({"occurred_on_day": "31", "occurred_on_month": "2"}, "real date"),
            ({"occurred_on_day": "", "occurred_on_month": "", "occurred_on_year": ""}, "Enter"),
        ],
    )
    def test_bad_values(self, world, data, message):
        movement(world.premises, 100)
        response = self.post(world, **data)
        assert message in error_summary(response)
        assert stock_total(world.premises) == 100
        if data.get("quantity"):
            assert f'value="{data["quantity"]}"' in response.content.decode(), "input kept"

    def test_unlocker_and_outsiders_cannot_post(self, world):
        movement(world.premises, 100)
        assert self.post(world, user=world.unlocker).status_code == 404
        assert self.post(world, user=world.other_manager).status_code == 404
        assert stock_total(world.premises) == 100


@pytest.mark.django_db
class TestCountAndSettings:
    def test_count(self, world):
        movement(world.premises, 100)
        response = sign_in(Client(), world.manager).post(
            reverse("tokens_count_record", args=[world.premises.pk]),
            {"counted": "97", "reason": "Three spoilt"},
        )
        assert response.status_code == 302
        assert stock_total(world.premises) == 97

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"counted": "-1", "reason": "x"}, "of 0 or more"),
            ({"counted": "2.5", "reason": "x"}, "whole number"),
            ({"counted": "100001", "reason": "x"}, "100,000 or fewer"),
            ({"counted": "50", "reason": ""}, "Say why the count differs"),
            ({"counted": "100", "reason": "Checked"}, "count matches"),
            ({"counted": "50", "reason": "x" * 501}, "500 characters"),
        ],
    )
    def test_bad_counts(self, world, data, message):
        movement(world.premises, 100)
        response = sign_in(Client(), world.manager).post(
            reverse("tokens_count_record", args=[world.premises.pk]), data
        )
        assert message in error_summary(response)
        assert stock_total(world.premises) == 100

    def test_settings(self, world):
        client = sign_in(Client(), world.manager)
        url = reverse("tokens_settings", args=[world.premises.pk])
        assert 'value="500"' in client.get(url).content.decode()
        response = client.post(
            url, {"pack_size": "250", "lead_time_days": "10", "safety_margin_days": "3"}
        )
        assert response.status_code == 302
        saved = TokenSettings.objects.get(premises=world.premises)
        assert (saved.pack_size, saved.lead_time_days, saved.safety_margin_days) == (250, 10, 3)

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"pack_size": "0"}, "of 1 or more"),
            ({"pack_size": "500.5"}, "whole number"),
            ({"lead_time_days": "0"}, "1 day or more"),
            ({"lead_time_days": "365"}, "90 days or fewer"),
            ({"safety_margin_days": "-1"}, "0 days or more"),
            ({"safety_margin_days": "a week"}, "whole number of days"),
        ],
    )
    def test_bad_settings(self, world, data, message):
        values = {"pack_size": "500", "lead_time_days": "7", "safety_margin_days": "7", **data}
        response = sign_in(Client(), world.manager).post(
            reverse("tokens_settings", args=[world.premises.pk]), values
        )
        assert message in error_summary(response)
        assert not TokenSettings.objects.exists()


@pytest.mark.django_db
class TestOrderJourney:
    def test_draft_place_receive(self, world):
        steady_usage(world.premises, 20, opening=20 * 56 + 100)
        staff = sign_in(Client(), world.staff)
        form = staff.get(reverse("tokens_order_create", args=[world.premises.pk]))
        assert 'value="2"' in form.content.decode(), "suggests two packs"
        response = staff.post(
            reverse("tokens_order_create", args=[world.premises.pk]), {"packs": "2"}
        )
        order = TokenOrder.objects.get()
        assert response.url == reverse("tokens_order_detail", args=[order.pk])
        detail = staff.get(response.url).content.decode()
        assert "Record as placed" not in detail, "staff who are not orderers do not place"

        manager = sign_in(Client(), world.manager)
        assert "Record as placed" in manager.get(response.url).content.decode()
        place_url = reverse("tokens_order_place", args=[order.pk])
        response = manager.post(
            place_url,
            {
                "pcse_reference": "pcse-445566",
                **date_parts("placed_on", today()),
                **date_parts("expected_delivery_on", today() + timedelta(days=5)),
            },
        )
        assert response.status_code == 302
        order.refresh_from_db()
        assert (order.status, order.pcse_reference) == ("placed", "PCSE-445566")
        # The form for a placed order is gone: its page sends you back with a word why.
        assert manager.get(place_url).status_code == 302

        receive_url = reverse("tokens_order_receive", args=[order.pk])
        data = {**date_parts("received_on", today()), "tokens_received": "1000"}
        assert manager.post(receive_url, data).status_code == 302
        assert stock_total(world.premises) == 1100
        twice = manager.post(receive_url, data)
        assert "already received" in error_summary(twice)
        assert stock_total(world.premises) == 1100
        cancel = manager.post(
            reverse("tokens_order_cancel", args=[order.pk]), {"reason": "Changed my mind"}
        )
        assert "received order cannot be cancelled" in error_summary(cancel)

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"packs": "0"}, "of 1 or more"),
            ({"packs": "-2"}, "of 1 or more"),
            ({"packs": "1.5"}, "whole number"),
            ({"packs": "201"}, "more than 100,000 tokens"),
            ({"packs": ""}, "Enter the number of packs"),
        ],
    )
    def test_bad_drafts(self, world, data, message):
        response = sign_in(Client(), world.staff).post(
            reverse("tokens_order_create", args=[world.premises.pk]), data
        )
        assert message in error_summary(response)
        assert not TokenOrder.objects.exists()

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"pcse_reference": ""}, "Enter the order reference"),
            ({"pcse_reference": "123"}, "6 to 20 letters and numbers"),
            ({"pcse_reference": "PCSE/123/456"}, "6 to 20 letters and numbers"),
            ({"pcse_reference": "x" * 200}, "6 to 20 letters and numbers"),
            ({"pcse_reference": "=cmd|'/C calc'!A0"}, "6 to 20 letters and numbers"),
            (date_parts("placed_on", today() + timedelta(days=2)), "today or earlier"),
            (date_parts("placed_on", today() - timedelta(days=200)), "last 90 days"),
            (
                date_parts("expected_delivery_on", today() - timedelta(days=1)),
                "on or after the date the order was placed",
            ),
            ({"placed_on_day": "", "placed_on_month": "", "placed_on_year": ""}, "Enter the date"),
            ({"expected_delivery_on_year": "26"}, "Year must be 4 numbers"),
        ],
    )
    def test_bad_placing(self, world, data, message):
        order = TokenOrderFactory(premises=world.premises)
        values = {
            "pcse_reference": "PCSE-123456",
            **date_parts("placed_on", today()),
            **date_parts("expected_delivery_on", today() + timedelta(days=3)),
            **data,
        }
        response = sign_in(Client(), world.manager).post(
            reverse("tokens_order_place", args=[order.pk]), values
        )
        assert message in error_summary(response)
        order.refresh_from_db()
        assert order.status == "draft"

    def test_duplicate_reference_message_on_the_field(self, world):
        TokenOrderFactory(premises=world.premises, placed=True, pcse_reference="PCSE-000001")
        order = TokenOrderFactory(premises=world.premises)
        response = sign_in(Client(), world.manager).post(
            reverse("tokens_order_place", args=[order.pk]),
            {"pcse_reference": "PCSE-000001", **date_parts("placed_on", today())},
        )
        assert "already recorded on another order" in error_summary(response)

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (date_parts("received_on", today() - timedelta(days=30)), "on or after the date"),
            (date_parts("received_on", today() + timedelta(days=1)), "today or in the past"),
            ({"tokens_received": "0"}, "of 1 or more"),
            ({"tokens_received": "abc"}, "whole number"),
            ({"tokens_received": "500000"}, "100,000 or fewer"),
        ],
    )
    def test_bad_receiving(self, world, data, message):
        order = TokenOrderFactory(premises=world.premises, placed=True)
        values = {**date_parts("received_on", today()), "tokens_received": "1000", **data}
        response = sign_in(Client(), world.manager).post(
            reverse("tokens_order_receive", args=[order.pk]), values
        )
        assert message in error_summary(response)
        assert stock_total(world.premises) == 0

    def test_expected_delivery_before_placing(self, world):
        order = TokenOrderFactory(premises=world.premises, placed=True)
        response = sign_in(Client(), world.manager).post(
            reverse("tokens_order_expected_delivery", args=[order.pk]),
            date_parts("expected_delivery_on", order.placed_on - timedelta(days=1)),
        )
        assert "on or after the date the order was placed" in error_summary(response)

    def test_cancel_needs_a_reason(self, world):
        order = TokenOrderFactory(premises=world.premises)
        client = sign_in(Client(), world.manager)
        url = reverse("tokens_order_cancel", args=[order.pk])
        assert "Say why" in error_summary(client.post(url, {"reason": "   "}))
        assert client.post(url, {"reason": "Ordered twice"}).status_code == 302
        order.refresh_from_db()
        assert order.status == "cancelled"

    def test_a_pcse_orderer_on_the_staff_sees_the_actions(self, world):
        PcseOrdererFactory(premises=world.premises, user=world.staff)
        order = TokenOrderFactory(premises=world.premises)
        client = sign_in(Client(), world.staff)
        assert (
            "Record as placed"
            in client.get(reverse("tokens_order_detail", args=[order.pk])).content.decode()
        )
        assert client.get(reverse("tokens_order_place", args=[order.pk])).status_code == 200


@pytest.mark.django_db
class TestEscalationPage:
    def test_ready_to_send_message(self, world):
        steady_usage(world.premises, 10, opening=10 * 56 + 80)
        order = TokenOrderFactory(premises=world.premises, overdue=True)
        client = sign_in(Client(), world.manager)
        detail = client.get(reverse("tokens_order_detail", args=[order.pk])).content.decode()
        assert "This order is late" in detail
        url = reverse("tokens_order_escalate", args=[order.pk])
        html = client.get(url).content.decode()
        run_out = today() + timedelta(days=8)
        for expected in (
            order.pcse_reference,
            world.premises.ods_code,
            world.manager.email,
            f"We expect to run out of tokens on: {run_out:%-d %B %Y}",
            "urgentsupplies@nhs.net",
            "mailto:urgentsupplies@nhs.net?subject=",
        ):
            assert expected in html, expected
        assert "Choose how you chased PCSE" in error_summary(client.post(url, {"method": ""}))
        response = client.post(url, {"method": "written", "note": "Sent the form"})
        assert response.status_code == 302
        assert OrderEscalation.objects.get().note == "Sent the form"
        assert "Sent the form" in client.get(response.url).content.decode()

    def test_note_too_long(self, world):
        order = TokenOrderFactory(premises=world.premises, overdue=True)
        response = sign_in(Client(), world.manager).post(
            reverse("tokens_order_escalate", args=[order.pk]),
            {"method": "phone", "note": "n" * 501},
        )
        assert "500 characters" in error_summary(response)
        assert not OrderEscalation.objects.exists()


@pytest.mark.django_db
class TestOrderersPage:
    def test_add_and_remove(self, world):
        client = sign_in(Client(), world.manager)
        url = reverse("tokens_orderers", args=[world.premises.pk])
        html = client.get(url).content.decode()
        assert "Fewer than two people can order" in html
        assert client.post(url, {"user": world.staff.pk}).status_code == 302
        assert client.post(url, {"user": world.manager.pk}).status_code == 302
        assert "Fewer than two people can order" not in client.get(url).content.decode()
        orderer = PcseOrderer.objects.get(user=world.staff)
        response = client.post(reverse("tokens_orderer_remove", args=[orderer.pk]))
        assert response.status_code == 302
        assert not PcseOrderer.objects.filter(user=world.staff).exists()

    @pytest.mark.parametrize("value", ["", "abc", "999999", "other_manager"])
    def test_bad_choices(self, world, value):
        if value == "other_manager":
            value = world.other_manager.pk
        response = sign_in(Client(), world.manager).post(
            reverse("tokens_orderers", args=[world.premises.pk]), {"user": value}
        )
        assert "Choose a member of staff" in error_summary(response)
        assert not PcseOrderer.objects.exists()

    def test_staff_see_but_do_not_change(self, world):
        client = sign_in(Client(), world.staff)
        url = reverse("tokens_orderers", args=[world.premises.pk])
        assert "Add a person" not in client.get(url).content.decode()
        assert client.post(url, {"user": world.staff.pk}).status_code == 404
        orderer = PcseOrdererFactory(premises=world.premises, user=world.manager)
        assert client.post(reverse("tokens_orderer_remove", args=[orderer.pk])).status_code == 404
        outsider = sign_in(Client(), world.other_manager)
        assert outsider.post(reverse("tokens_orderer_remove", args=[orderer.pk])).status_code == 404
        assert PcseOrderer.objects.exists()


@pytest.mark.django_db
class TestHeadOfficeView:
    def url(self, world, **params):
        base = reverse("tokens_organisation", args=[world.premises.organisation_id])
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return f"{base}?{query}" if query else base

    def test_figures_and_summary(self, world):
        steady_usage(world.premises, 10, opening=10 * 56 + 50)  # 5 days: low
        steady_usage(world.second_premises, 10, opening=10 * 56 + 900)  # 90 days
        TokenOrderFactory(premises=world.second_premises, overdue=True)
        steady_usage(world.other_premises, 10, opening=10 * 56 + 50)
        html = sign_in(Client(), world.head_office).get(self.url(world)).content.decode()
        assert "1 low on tokens" in html
        assert "1 with an order overdue" in html
        assert "2 with fewer than two people" in html
        assert world.premises.name in html and world.second_premises.name in html
        assert world.other_premises.name not in html
        # Sorted by days of cover by default: the low premises first.
        assert html.index(world.premises.name) < html.index(world.second_premises.name)
        assert 'aria-sort="ascending"' in html

    def test_sorting(self, world):
        steady_usage(world.premises, 10, opening=10 * 56 + 50)
        steady_usage(world.second_premises, 10, opening=10 * 56 + 900)
        client = sign_in(Client(), world.head_office)
        html = client.get(self.url(world, sort="-days")).content.decode()
        assert html.index(world.second_premises.name) < html.index(world.premises.name)
        assert 'aria-sort="descending"' in html
        html = client.get(self.url(world, sort="name")).content.decode()
        assert html.index(world.second_premises.name) < html.index(world.premises.name)
        for junk in ("'; DROP TABLE x", "-", "--days", "stock" * 100, "__class__"):
            assert client.get(self.url(world, sort=junk)).status_code == 200

    def test_fixed_queries_at_two_sizes(self, world, django_assert_num_queries):
        client = sign_in(Client(), world.head_office)
        url = self.url(world)
        client.get(url)
        with django_assert_num_queries(10):
            client.get(url)
        for _ in range(30):
            premises = PremisesFactory(organisation=world.premises.organisation)
            steady_usage(premises, 4, days=4)
            TokenOrderFactory(premises=premises, placed=True)
            PcseOrdererFactory(premises=premises, user=MembershipFactory(premises=premises).user)
        # The first read works out the new premises' standings (factories skip the
        # services that would have); reads after that cost the same as before.
        client.get(url)
        with django_assert_num_queries(10):
            response = client.get(url)
        assert response.content.decode().count('href="/premises/') >= 32

    def test_csv_export_neutralises_formulas(self, world):
        world.premises.name = '=HYPERLINK("http://evil.example","Click")'
        world.premises.save()
        world.second_premises.name = "@SUM(A1)"
        world.second_premises.save()
        steady_usage(world.premises, 10, opening=10 * 56 + 50)
        response = sign_in(Client(), world.head_office).get(
            reverse("tokens_organisation_export", args=[world.premises.organisation_id])
        )
        assert response["Content-Type"].startswith("text/csv")
        assert "attachment" in response["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows[0][:4] == ["ODS code", "Premises", "Town", "Tokens in stock"]
        names = {row[1] for row in rows[1:]}
        assert names == {'\'=HYPERLINK("http://evil.example","Click")', "'@SUM(A1)"}
        low = next(row for row in rows[1:] if row[0] == world.premises.ods_code)
        assert low[3:6] == ["50", "10.0", "5"]
        assert low[8] == "yes"
        assert not any(cell[:1] in "=+-@" for row in rows for cell in row if cell)

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("=1+1", "'=1+1"),
            ("+44 113", "'+44 113"),
            ("-5", "'-5"),
            ("@cmd", "'@cmd"),
            ("\tx", "'\tx"),
            ("Calder", "Calder"),
            (12, "12"),
            (None, ""),
        ],
    )
    def test_csv_safe(self, value, expected):
        assert csv_safe(value) == expected


@pytest.mark.django_db
class TestEverywhereElse:
    def test_tokens_home(self, world):
        steady_usage(world.premises, 10, opening=10 * 56 + 50)
        staff_html = sign_in(Client(), world.staff).get(reverse("tokens_home")).content.decode()
        assert world.premises.name in staff_html
        head_office = sign_in(Client(), world.head_office).get(reverse("tokens_home"))
        assert (
            reverse("tokens_organisation", args=[world.premises.organisation_id])
            in head_office.content.decode()
        )

    def test_home_panel_only_when_something_needs_doing(
        self, world, django_capture_on_commit_callbacks
    ):
        PcseOrdererFactory(premises=world.premises, user=world.staff)
        PcseOrdererFactory(premises=world.premises, user=world.manager)
        steady_usage(world.premises, 10, opening=10 * 56 + 1000)
        client = sign_in(Client(), world.manager)
        assert "EPS tokens</h2>" not in client.get(reverse("home")).content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            services.token_count_record(
                actor=world.manager, premises=world.premises, counted=50, reason="Spoilt tokens"
            )
        html = client.get(reverse("home")).content.decode()
        assert "EPS tokens</h2>" in html
        assert "Low on tokens: 5 days of cover" in html
        assert reverse("tokens_premises", args=[world.premises.pk]) in html

    def test_navigation_and_premises_link(self, world):
        premises_url = reverse("premises_detail", args=[world.premises.pk])
        tokens_url = reverse("tokens_premises", args=[world.premises.pk])
        staff = sign_in(Client(), world.staff).get(premises_url).content.decode()
        assert tokens_url in staff
        assert reverse("tokens_home") in staff
        unlocker = sign_in(Client(), world.unlocker).get(premises_url).content.decode()
        assert tokens_url not in unlocker
        assert reverse("tokens_home") not in unlocker

    def test_movement_list_pages(self, world):
        steady_usage(world.premises, 1, days=60)
        client = sign_in(Client(), world.staff)
        url = reverse("tokens_movement_list", args=[world.premises.pk])
        first = client.get(url).content.decode()
        assert first.count("Tokens used") == 50
        assert client.get(f"{url}?page=2").content.decode().count("Tokens used") == 10
