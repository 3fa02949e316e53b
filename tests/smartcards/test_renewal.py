"""The renewal window, day by day around its edges (window 90 days, final reminder 14).

Each expected value is counted by hand from the dates in the test."""

from datetime import date

import pytest
import time_machine
from django.test import override_settings

from smartcards.renewal import CertificateState
from tests.smartcards.factories import SmartcardHolderFactory

DAY = date(2026, 6, 1)


@pytest.mark.parametrize(
    ("expires_on", "days_left", "expired", "in_window", "final_due"),
    [
        (date(2026, 5, 31), -1, True, False, False),  # the day after the last good day
        (date(2026, 6, 1), 0, False, True, True),  # the last good day
        (date(2026, 6, 15), 14, False, True, True),  # the final reminder's first day
        (date(2026, 6, 16), 15, False, True, False),
        (date(2026, 8, 30), 90, False, True, False),  # the window's first day
        (date(2026, 8, 31), 91, False, False, False),
    ],
)
def test_the_window_and_final_reminder_around_their_edges(
    expires_on, days_left, expired, in_window, final_due
):
    state = CertificateState(expires_on, DAY)
    assert state.days_left == days_left
    assert state.is_expired is expired
    assert state.in_renewal_window is in_window
    assert state.final_reminder_due is final_due


def test_the_window_opens_ninety_days_before_the_expiry_date():
    state = CertificateState(date(2026, 8, 31), DAY)
    assert state.window_opens_on == date(2026, 6, 2)
    assert (state.expires_on, state.today, state.window_days) == (date(2026, 8, 31), DAY, 90)


@override_settings(SMARTCARD_RENEWAL_WINDOW_DAYS=30)
def test_the_window_follows_the_setting():
    assert CertificateState(date(2026, 7, 1), DAY).in_renewal_window is True
    assert CertificateState(date(2026, 7, 2), DAY).in_renewal_window is False
    assert CertificateState(date(2026, 7, 2), DAY).window_opens_on == date(2026, 6, 2)


def test_without_a_day_the_state_is_for_today():
    with time_machine.travel(date(2026, 6, 10), tick=False):
        state = CertificateState(date(2026, 6, 20))
    assert state.today == date(2026, 6, 10)
    assert state.days_left == 10


@pytest.mark.django_db
def test_a_holder_certificate_is_read_on_the_day_asked():
    holder = SmartcardHolderFactory(certificate_expires_on=date(2026, 6, 20))
    assert holder.certificate(DAY).days_left == 19
    assert holder.certificate(date(2026, 6, 21)).is_expired is True
