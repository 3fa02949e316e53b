"""A second usage record for the same premises and day asks whether to add or correct."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from eps import services
from eps.models import StockMovement
from eps.selectors import token_figures_for
from tests.conftest import sign_in
from tests.eps.factories import movement

pytestmark = pytest.mark.django_db


def stock(premises):
    return token_figures_for(premises).stock


def usage_data(quantity, *, day=None, period="1", **extra):
    day = day or timezone.localdate()
    return {
        "quantity": str(quantity),
        "period_days": period,
        "occurred_on_day": day.day,
        "occurred_on_month": day.month,
        "occurred_on_year": day.year,
        **extra,
    }


class TestService:
    def test_a_second_record_for_the_day_is_not_silently_accepted(self, world):
        movement(world.premises, 500)
        services.token_usage_record(actor=world.staff, premises=world.premises, quantity=40)
        with pytest.raises(ValidationError) as raised:
            services.token_usage_record(actor=world.manager, premises=world.premises, quantity=40)
        message = " ".join(raised.value.message_dict["if_already"])
        assert "40 tokens used on" in message and "Sam Staff" in message
        assert StockMovement.objects.filter(kind="usage").count() == 1

    def test_add_keeps_both(self, world):
        movement(world.premises, 500)
        services.token_usage_record(actor=world.staff, premises=world.premises, quantity=40)
        services.token_usage_record(
            actor=world.staff, premises=world.premises, quantity=25, if_already="add"
        )
        assert stock(world.premises) == 435
        assert token_figures_for(world.premises).usage_tokens == 65

    @pytest.mark.parametrize(("total", "expected_stock"), [(30, 470), (55, 445)])
    def test_correct_changes_the_days_total(self, world, total, expected_stock):
        movement(world.premises, 500)
        first, _ = services.token_usage_record(
            actor=world.staff, premises=world.premises, quantity=40
        )
        correction, after = services.token_usage_record(
            actor=world.manager, premises=world.premises, quantity=total, if_already="correct"
        )
        assert correction.corrects == first
        assert after == stock(world.premises) == expected_stock
        assert token_figures_for(world.premises).usage_tokens == total
        event = AuditEvent.objects.get(action="tokens.usage_corrected")
        assert event.changes["corrected_from"] == 40

    def test_correcting_to_the_same_total_changes_nothing(self, world):
        movement(world.premises, 500)
        services.token_usage_record(actor=world.staff, premises=world.premises, quantity=40)
        with pytest.raises(ValidationError, match="no change"):
            services.token_usage_record(
                actor=world.staff, premises=world.premises, quantity=40, if_already="correct"
            )

    def test_another_day_or_period_is_not_asked_about(self, world):
        movement(world.premises, 500)
        services.token_usage_record(actor=world.staff, premises=world.premises, quantity=40)
        services.token_usage_record(
            actor=world.staff, premises=world.premises, quantity=100, period_days=7
        )
        assert StockMovement.objects.filter(kind="usage").count() == 2

    @pytest.mark.parametrize("bad", ["replace", "ADD", "1", "<script>"])
    def test_bad_choice_is_refused(self, world, bad):
        movement(world.premises, 500)
        with pytest.raises(ValidationError) as raised:
            services.token_usage_record(
                actor=world.staff, premises=world.premises, quantity=5, if_already=bad
            )
        assert "if_already" in raised.value.message_dict


class TestPage:
    url_name = "tokens_usage_record"

    def test_the_page_asks_then_adds(self, world):
        movement(world.premises, 500)
        client = sign_in(Client(), world.staff)
        url = reverse(self.url_name, args=[world.premises.pk])
        assert client.post(url, usage_data(40)).status_code == 302
        response = client.post(url, usage_data(40))
        html = response.content.decode()
        assert response.status_code == 200
        assert "nhsuk-error-summary" in html
        assert "already recorded" in html
        assert "Add these tokens to it" in html and "Correct it" in html
        assert StockMovement.objects.filter(kind="usage").count() == 1
        response = client.post(url, usage_data(40, if_already="add"))
        assert response.status_code == 302
        assert stock(world.premises) == 420

    def test_the_page_corrects(self, world):
        movement(world.premises, 500)
        client = sign_in(Client(), world.staff)
        url = reverse(self.url_name, args=[world.premises.pk])
        client.post(url, usage_data(40))
        response = client.post(url, usage_data(35, if_already="correct"), follow=True)
        assert "Tokens used corrected to 35" in response.content.decode()
        assert stock(world.premises) == 465

    @pytest.mark.parametrize(
        "bad", [{"if_already": "replace"}, {"if_already": "x" * 5000}, {"quantity": "-4"}]
    )
    def test_bad_values_get_a_message_not_an_error(self, world, bad):
        movement(world.premises, 500)
        client = sign_in(Client(), world.staff)
        url = reverse(self.url_name, args=[world.premises.pk])
        client.post(url, usage_data(40))
        response = client.post(url, {**usage_data(40), **bad})
        assert response.status_code == 200
        assert "nhsuk-error-summary" in response.content.decode()
        assert StockMovement.objects.filter(kind="usage").count() == 1

    def test_another_organisation_gets_404(self, world):
        client = sign_in(Client(), world.other_manager)
        url = reverse(self.url_name, args=[world.premises.pk])
        assert client.post(url, usage_data(40, if_already="add")).status_code == 404
