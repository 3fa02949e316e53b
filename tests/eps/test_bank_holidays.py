"""Days of cover and order-by dates skip England and Wales bank holidays, and the
order-by date is never a weekend or bank holiday, when PCSE and suppliers are closed."""

from datetime import date, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from eps import bank_holidays, selectors
from tests.conftest import sign_in
from tests.eps.factories import movement


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 12, 25), True),  # Christmas Day
        (date(2026, 12, 28), True),  # Boxing Day (substitute day)
        (date(2026, 8, 31), True),  # Summer bank holiday
        (date(2027, 3, 26), True),  # Good Friday
        (date(2026, 12, 24), False),
        (date(2026, 3, 18), False),
    ],
)
def test_bank_holidays_come_from_the_library(day, expected):
    with time_machine.travel(date(2026, 3, 18), tick=False):
        assert bank_holidays.is_bank_holiday(day) is expected


@pytest.mark.parametrize(
    ("today", "days", "expected", "why"),
    [
        (date(2026, 3, 18), 5, date(2026, 3, 23), "no bank holiday on the way"),
        (date(2026, 12, 21), 5, date(2026, 12, 29), "Christmas, Boxing Day and its substitute"),
        (date(2026, 12, 21), 4, date(2026, 12, 27), "not on Christmas or Boxing Day: the next day"),
        (date(2026, 8, 28), 3, date(2026, 9, 1), "the summer bank holiday"),
    ],
)
def test_run_out_date_skips_bank_holidays(today, days, expected, why):
    with time_machine.travel(today, tick=False):
        assert bank_holidays.run_out_date(today, days) == expected, why


@pytest.mark.parametrize(
    ("run_out_on", "reorder_days", "expected", "why"),
    [
        (date(2026, 3, 25), 5, date(2026, 3, 20), "a Friday: as it is"),
        (date(2026, 3, 23), 2, date(2026, 3, 20), "Saturday moves back to Friday"),
        (date(2027, 1, 4), 7, date(2026, 12, 24), "over Christmas: bank holidays add days"),
        (date(2026, 9, 1), 1, date(2026, 8, 28), "Monday 31 August is a bank holiday"),
    ],
)
def test_order_by_is_a_working_day(run_out_on, reorder_days, expected, why):
    with time_machine.travel(date(2026, 3, 1), tick=False):
        found = bank_holidays.order_by_date(run_out_on, reorder_days)
        assert found == expected, why
        assert bank_holidays.is_working_day(found)


@pytest.mark.django_db
def test_order_by_never_falls_on_a_bank_holiday_or_weekend(world):
    """Every start day over a year with a bank holiday-heavy winter: 30 days of use in
    stock, the default 14 days of lead time and margin."""
    start = date(2026, 11, 1)
    for offset in range(0, 90, 3):
        today = start + timedelta(days=offset)
        with time_machine.travel(today, tick=False):
            figures = selectors.TokenFigures(
                premises=world.premises,
                today=today,
                stock=300,
                usage_tokens=70,
                usage_from=today - timedelta(days=6),
                usage_to=today,
                pack_size=500,
                lead_time_days=7,
                safety_margin_days=7,
                open_orders=0,
                placed_orders=0,
                overdue_orders=0,
                orderers=2,
            )
            assert bank_holidays.is_working_day(figures.order_by), today
            assert not bank_holidays.is_bank_holiday(figures.run_out_on), today


@pytest.mark.django_db
def test_the_page_says_bank_holidays_are_skipped(world):
    with time_machine.travel(date(2026, 12, 18), tick=False):
        movement(world.premises, 300, days_ago=7)
        for days_ago in range(7):
            movement(world.premises, -10, days_ago=days_ago)
        html = (
            sign_in(Client(), world.manager)
            .get(reverse("tokens_premises", args=[world.premises.pk]))
            .content.decode()
        )
    assert "Bank holidays in England and Wales" in html
    assert "Christmas Day" in html
