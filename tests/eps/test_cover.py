"""The days-of-cover rule (eps.cover) with figures counted by hand.

Dates are in June and July 2026, between the Spring (25 May) and Late Summer (31 August)
bank holidays, unless a test is about a bank holiday."""

from datetime import date

import pytest

from eps import cover

MONDAY = date(2026, 6, 1)


def test_usage_covers_its_first_to_last_day_both_counted():
    assert cover.usage_days(70, date(2026, 6, 1), date(2026, 6, 7)) == 7
    assert cover.usage_days(1, MONDAY, MONDAY) == 1


@pytest.mark.parametrize(
    ("tokens", "first", "last"),
    [(0, MONDAY, MONDAY), (-10, MONDAY, MONDAY), (10, None, MONDAY), (10, MONDAY, None)],
)
def test_no_tokens_used_or_no_dates_is_no_usage(tokens, first, last):
    assert cover.usage_days(tokens, first, last) is None


def test_days_of_cover_are_whole_days_of_use():
    # 235 tokens at 70 used over 7 days (10 a day): 23.5 days, so 23.
    assert cover.days_of_cover(235, 70, 7) == 23
    assert cover.days_of_cover(0, 70, 7) == 0
    assert cover.days_of_cover(235, 0, None) is None


def test_daily_use():
    assert cover.daily_use(70, 7) == 10
    assert cover.daily_use(45, 10) == 4.5
    assert cover.daily_use(0, None) is None


def test_reorder_point_is_lead_time_and_margin():
    assert cover.reorder_days(10, 4) == 14


@pytest.mark.parametrize(
    ("days_of_cover", "low"), [(None, False), (0, True), (13, True), (14, False), (15, False)]
)
def test_low_below_the_reorder_point_only(days_of_cover, low):
    assert cover.is_low(days_of_cover, 14) is low


def test_reorder_level_is_the_stock_for_the_reorder_point_rounded_up():
    # 80 tokens over 6 days for 14 days: 186.7 tokens, so 187.
    assert cover.reorder_level(80, 6, 14) == 187
    assert cover.reorder_level(70, 7, 14) == 140
    assert cover.reorder_level(0, None, 14) is None


@pytest.mark.parametrize(
    ("low", "placed", "alert"), [(True, 0, True), (True, 1, False), (False, 0, False)]
)
def test_alert_when_low_and_nothing_placed(low, placed, alert):
    assert cover.needs_alert(low, placed) is alert


def test_run_out_and_order_by_dates():
    assert cover.run_out_on(MONDAY, 10) == date(2026, 6, 11)
    assert cover.run_out_on(MONDAY, None) is None
    # Fourteen days back from Thursday 25 June is Thursday 11 June, a working day;
    # from Sunday 28 June it is Sunday 14 June, so Friday 12 June.
    assert cover.order_by(date(2026, 6, 25), 14) == date(2026, 6, 11)
    assert cover.order_by(date(2026, 6, 28), 14) == date(2026, 6, 12)
    assert cover.order_by(None, 14) is None


@pytest.mark.parametrize(
    ("last_day", "now"),
    [(None, False), (date(2026, 6, 2), False), (MONDAY, True), (date(2026, 5, 29), True)],
)
def test_order_now_from_the_last_day_to_order(last_day, now):
    assert cover.order_now(last_day, MONDAY) is now


def test_bank_holidays_ahead_run_to_the_run_out_date():
    today = date(2026, 7, 6)
    assert cover.bank_holidays_ahead(today, date(2026, 8, 30)) == []
    assert cover.bank_holidays_ahead(today, date(2026, 8, 31)) == [
        (date(2026, 8, 31), "Late Summer Bank Holiday")
    ]


def test_bank_holidays_ahead_without_a_run_out_date_are_the_next_eight_weeks():
    # 56 days from 6 July is 31 August; from 7 July, 1 September.
    assert cover.bank_holidays_ahead(date(2026, 7, 6), None) == [
        (date(2026, 8, 31), "Late Summer Bank Holiday")
    ]
    assert cover.bank_holidays_ahead(date(2026, 7, 7), None) == [
        (date(2026, 8, 31), "Late Summer Bank Holiday")
    ]
    assert cover.bank_holidays_ahead(date(2026, 7, 5), None) == []


def test_bank_holidays_ahead_stop_a_year_on():
    holidays = cover.bank_holidays_ahead(date(2026, 1, 2), date(2027, 6, 1))
    assert holidays[0] == (date(2026, 4, 3), "Good Friday")
    assert holidays[-1] == (date(2027, 1, 1), "New Year's Day")
    assert cover.bank_holidays_ahead(date(2026, 1, 2), date(2027, 1, 1))[-1] == (
        date(2027, 1, 1),
        "New Year's Day",
    )
    assert cover.bank_holidays_ahead(date(2026, 1, 3), date(2027, 6, 1))[-1] == (
        date(2027, 1, 1),
        "New Year's Day",
    )


def test_suggested_packs_reach_four_weeks_beyond_the_reorder_point():
    # 10 a day for 14 + 28 days is 420 tokens; 100 in stock leaves 320: 6.4 packs of 50.
    assert cover.suggested_packs(100, 70, 7, 14, 50) == 7
    # Exactly 300 wanted: 6 packs.
    assert cover.suggested_packs(120, 70, 7, 14, 50) == 6
    # 4.5 a day for 42 days is 189 tokens; 38 in stock leaves 151: 4 packs of 50, not 3.
    assert cover.suggested_packs(38, 45, 10, 14, 50) == 4


def test_at_least_one_pack_and_one_without_usage():
    assert cover.suggested_packs(1000, 70, 7, 14, 50) == 1
    assert cover.suggested_packs(0, 0, None, 14, 50) == 1
