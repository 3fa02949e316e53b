"""Two-factor codes: a wrong code says so, the wait after wrong codes is told truthfully,
and a correct code typed after one wrong one is accepted. Each is a security event."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditEvent
from tests.accounts.test_views import current_code
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

# accounts.security's action names, spelled out so these tests also run on older code.
TWO_FACTOR_SET_UP = "two_factor.set_up"
TWO_FACTOR_THROTTLED = "two_factor.throttled"
TWO_FACTOR_WRONG_CODE = "two_factor.wrong_code"


def wrong_code(device):
    return "000000" if current_code(device) != "000000" else "111111"


def signed_in(user):
    client = Client()
    client.post(reverse("login"), {"username": user.email, "password": TEST_PASSWORD})
    return client


def errors(response):
    return response.context["form"].errors["token"]


@pytest.fixture
def unlocker(world):
    device = TOTPDevice.objects.create(user=world.unlocker, name="phone", confirmed=True)
    return signed_in(world.unlocker), device


def test_one_wrong_code_says_it_did_not_match(unlocker):
    client, device = unlocker
    response = client.post(reverse("two_factor_verify"), {"token": wrong_code(device)})
    assert errors(response) == ["That code did not match. Enter the code now showing in your app."]
    assert "Too many" not in response.content.decode()
    assert "minute" not in response.content.decode()


def test_correct_code_typed_after_a_wrong_one_is_accepted(unlocker, world):
    client, device = unlocker
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.post(reverse("two_factor_verify"), {"token": wrong_code(device)})
        # Reading the new code off the phone and typing it takes a few seconds.
        clock.shift(timedelta(seconds=3))
        response = client.post(reverse("two_factor_verify"), {"token": current_code(device)})
    assert response.status_code == 302
    assert client.get(reverse("premises_list")).status_code == 200


def test_a_code_sent_during_the_wait_is_told_the_real_wait(unlocker, world):
    client, device = unlocker
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(3):
            client.post(reverse("two_factor_verify"), {"token": wrong_code(device)})
            clock.shift(timedelta(seconds=10))
        # The fourth wrong code in a row: django-otp then waits 8 seconds before checking.
        client.post(reverse("two_factor_verify"), {"token": wrong_code(device)})
        clock.shift(timedelta(seconds=1))
        refused = client.post(reverse("two_factor_verify"), {"token": current_code(device)})
        assert errors(refused) == [
            "Too many wrong codes in a row. Wait 7 seconds, then enter the code now showing "
            "in your app."
        ]
        clock.shift(timedelta(seconds=7))
        accepted = client.post(reverse("two_factor_verify"), {"token": current_code(device)})
    assert accepted.status_code == 302
    events = list(AuditEvent.objects.filter(actor=world.unlocker).values_list("action", flat=True))
    assert events.count(TWO_FACTOR_WRONG_CODE) == 4
    assert events.count(TWO_FACTOR_THROTTLED) == 1


def test_one_second_wait_is_said_in_the_singular(unlocker):
    client, device = unlocker
    with time_machine.travel(timezone.now(), tick=False):
        client.post(reverse("two_factor_verify"), {"token": wrong_code(device)})
        refused = client.post(reverse("two_factor_verify"), {"token": wrong_code(device)})
    assert errors(refused) == [
        "Too many wrong codes in a row. Wait 1 second, then enter the code now showing in your app."
    ]


def test_set_up_tells_the_same_truth_and_records_the_set_up(world):
    client = signed_in(world.head_office)
    client.get(reverse("two_factor_setup"))
    device = TOTPDevice.objects.get(user=world.head_office, confirmed=False)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        wrong = client.post(reverse("two_factor_setup"), {"token": wrong_code(device)})
        assert errors(wrong) == ["That code did not match. Enter the code now showing in your app."]
        clock.shift(timedelta(seconds=2))
        right = client.post(reverse("two_factor_setup"), {"token": current_code(device)})
    assert right.status_code == 302
    actions = set(
        AuditEvent.objects.filter(actor=world.head_office).values_list("action", flat=True)
    )
    assert {TWO_FACTOR_WRONG_CODE, TWO_FACTOR_SET_UP} <= actions
