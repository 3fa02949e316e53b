"""An unlock request for a card whose certificates have expired: the person asking is
told only the Registration Authority can repair it, and the unlocker sees it plainly."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from smartcards import services
from smartcards.models import SmartcardRequest
from tests.smartcards.factories import SmartcardRequestFactory, holder_at

pytestmark = pytest.mark.django_db


def expire(holder, days_ago=12):
    holder.certificate_expires_on = timezone.localdate() - timedelta(days=days_ago)
    holder.save()
    return holder


def html_of(response):
    assert response.status_code == 200, response.status_code
    return response.content.decode()


class TestRaising:
    def test_refused_until_the_person_says_they_understand(self, world, holder, authority):
        expire(holder)
        with pytest.raises(ValidationError) as raised:
            services.smartcard_request_raise(
                actor=world.staff, holder=holder, premises=world.premises, kind="unlock"
            )
        message = " ".join(raised.value.message_dict["expired_understood"])
        assert "only the Registration Authority can repair it" in message
        assert "The Health Informatics Service, 0845 127 2600 (local 01484 355220)" in message
        assert not SmartcardRequest.objects.exists()
        sent = services.smartcard_request_raise(
            actor=world.staff,
            holder=holder,
            premises=world.premises,
            kind="unlock",
            expired_understood=True,
        )
        assert sent.status == SmartcardRequest.Status.OPEN
        event = AuditEvent.objects.get(action="smartcard_request.raised")
        assert event.changes["certificates_expired"] is True

    def test_a_valid_card_needs_no_tick(self, world, holder):
        sent = services.smartcard_request_raise(
            actor=world.staff, holder=holder, premises=world.premises, kind="unlock"
        )
        assert sent.pk

    def test_own_form_shows_the_ra_and_the_box(self, world, client_for, holder, authority):
        expire(holder)
        client = client_for("staff")
        url = reverse("smartcard_request_create") + "?kind=unlock"
        html = html_of(client.get(url))
        assert "Your certificates have expired" in html
        assert "0845 127 2600" in html
        assert "Send the unlock request anyway" in html
        response = client.post(url, {"kind": "unlock", "note": ""})
        html = html_of(response)
        assert "nhsuk-error-summary" in html
        assert "Tick the box to send the unlock request anyway" in html
        assert not SmartcardRequest.objects.exists()
        response = client.post(url, {"kind": "unlock", "note": "", "expired_understood": "on"})
        assert response.status_code == 302
        assert SmartcardRequest.objects.count() == 1

    def test_manager_form_marks_expired_staff_and_asks(self, world, client_for, authority):
        expired = expire(holder_at(world.premises))
        client = client_for("manager")
        url = reverse("smartcard_staff_request_create", args=[world.premises.pk])
        html = html_of(client.get(url))
        assert "(certificates expired on" in html
        response = client.post(url, {"holder": expired.pk, "kind": "unlock"})
        assert "Tick the box to send the unlock request anyway" in html_of(response)
        response = client.post(
            url, {"holder": expired.pk, "kind": "unlock", "expired_understood": "on"}
        )
        assert response.status_code == 302


class TestUnlockerSees:
    def test_unlock_request_shows_certificate_dates_and_the_warning(
        self, world, client_for, holder, authority
    ):
        expire(holder)
        request = SmartcardRequestFactory(holder=holder, premises=world.premises, kind="unlock")
        html = html_of(
            client_for("unlocker").get(reverse("smartcard_request_detail", args=[request.pk]))
        )
        expired_on = f"{holder.certificate_expires_on:%-d %B %Y}"
        assert f"expired on {expired_on}" in html
        assert "The certificates on this card have expired" in html
        assert "Refer the request to the RA" in html

    def test_unlock_request_for_a_valid_card_shows_dates_without_warning(
        self, world, client_for, holder
    ):
        request = SmartcardRequestFactory(holder=holder, premises=world.premises, kind="unlock")
        html = html_of(
            client_for("unlocker").get(reverse("smartcard_request_detail", args=[request.pk]))
        )
        assert f"expire on {holder.certificate_expires_on:%-d %B %Y}" in html
        assert "The certificates on this card have expired" not in html


class TestWording:
    def test_home_page_says_expired_on_for_a_date_past(self, world, client_for, holder):
        expire(holder)
        html = html_of(client_for("staff").get(reverse("home")))
        day = f"{holder.certificate_expires_on:%-d %B %Y}"
        assert f"certificates expired on {day}" in html
        assert "certificates expire " not in html

    def test_home_page_says_expire_on_for_a_date_to_come(self, world, client_for, holder):
        html = html_of(client_for("staff").get(reverse("home")))
        assert f"certificates expire on {holder.certificate_expires_on:%-d %B %Y}" in html
