"""Days of cover at its edges: no history, one week, steady use, a spike, the window."""

from datetime import date, timedelta

import pytest
import time_machine

from accounts.models import Premises
from eps import selectors
from eps.models import TokenSettings
from tests.eps.factories import movement, steady_usage
from tests.factories import PremisesFactory

TODAY = date(2026, 3, 18)


@pytest.fixture(autouse=True)
def _fixed_day():
    with time_machine.travel(TODAY, tick=False):
        yield


def figures(premises):
    return selectors.token_figures_for(premises)


@pytest.mark.django_db
class TestDaysOfCover:
    def test_no_history_says_so_instead_of_a_number(self, world):
        movement(world.premises, 500)
        result = figures(world.premises)
        assert result.stock == 500
        assert result.daily_use is None
        assert result.days_of_cover is None
        assert result.run_out_on is None
        assert result.order_by is None
        assert not result.is_low
        assert not result.needs_alert

    def test_nothing_at_all(self, world):
        result = figures(world.premises)
        assert (result.stock, result.days_of_cover, result.is_low) == (0, None, False)

    def test_one_week_of_daily_use(self, world):
        movement(world.premises, 300, days_ago=7)
        for days_ago in range(7):
            movement(world.premises, -10, days_ago=days_ago)
        result = figures(world.premises)
        assert result.usage_days == 7
        assert result.daily_use == 10
        assert result.stock == 230
        assert result.days_of_cover == 23
        # 23 days of use from 18 March 2026 reach past Good Friday (3 April) and Easter
        # Monday (6 April), when no tokens are used: the stock runs out two days later.
        assert result.run_out_on == TODAY + timedelta(days=23 + 2)
        # Fourteen days of lead time and margin before it, skipping both bank holidays.
        assert result.order_by == date(2026, 3, 27)

    def test_one_weekly_record_is_spread_over_its_week(self, world):
        movement(world.premises, 300, days_ago=7)
        movement(world.premises, -70, period_days=7)
        result = figures(world.premises)
        assert (result.usage_days, result.daily_use, result.days_of_cover) == (7, 10, 23)

    def test_a_single_day(self, world):
        movement(world.premises, 100, days_ago=1)
        movement(world.premises, -20)
        result = figures(world.premises)
        assert (result.usage_days, result.daily_use, result.days_of_cover) == (1, 20, 4)
        assert result.is_low

    def test_steady_use_over_eight_weeks(self, world):
        steady_usage(world.premises, 25, opening=25 * 56 + 500)
        result = figures(world.premises)
        assert result.usage_days == 56
        assert result.daily_use == 25
        assert result.days_of_cover == 20
        assert not result.is_low

    def test_a_spike_raises_the_average_but_is_not_the_rate(self, world):
        steady_usage(world.premises, 10, opening=10 * 56 + 1000)
        movement(world.premises, -290, days_ago=3)  # that day: 300 used
        result = figures(world.premises)
        assert result.daily_use == pytest.approx((560 + 290) / 56)
        assert result.days_of_cover == (1000 - 290) * 56 // 850
        assert 40 < result.days_of_cover < 71

    def test_only_the_last_eight_weeks_count(self, world):
        movement(world.premises, 5000, days_ago=200)
        movement(world.premises, -1000, days_ago=56)  # just outside the window
        movement(world.premises, -20, days_ago=55)  # the first day inside it
        result = figures(world.premises)
        assert (result.usage_tokens, result.usage_days) == (20, 1)
        assert result.stock == 3980

    def test_usage_only_long_ago_is_no_history(self, world):
        movement(world.premises, 500, days_ago=120)
        movement(world.premises, -100, days_ago=90)
        assert figures(world.premises).days_of_cover is None

    def test_a_week_straddling_the_window_counts_its_own_days(self, world):
        movement(world.premises, 1000, days_ago=70)
        movement(world.premises, -70, days_ago=54, period_days=7)
        movement(world.premises, -70, days_ago=0, period_days=7)
        result = figures(world.premises)
        assert result.usage_from == TODAY - timedelta(days=60)
        assert result.usage_days == 61
        assert result.usage_tokens == 140

    def test_out_of_stock_with_usage_is_zero_days(self, world):
        movement(world.premises, 10, days_ago=2)
        movement(world.premises, -10, days_ago=1)
        result = figures(world.premises)
        assert (result.stock, result.days_of_cover, result.is_low) == (0, 0, True)

    def test_low_is_below_lead_time_plus_safety_margin(self, world):
        TokenSettings.objects.create(
            premises=world.premises, lead_time_days=5, safety_margin_days=5
        )
        movement(world.premises, 200, days_ago=10)
        for days_ago in range(10):
            movement(world.premises, -10, days_ago=days_ago)
        at_point = figures(world.premises)
        assert (at_point.days_of_cover, at_point.reorder_days) == (10, 10)
        assert not at_point.is_low
        assert at_point.order_now
        movement(world.premises, -1)
        assert figures(world.premises).is_low

    def test_safety_margin_of_zero_is_kept(self, world):
        TokenSettings.objects.create(premises=world.premises, safety_margin_days=0)
        assert figures(world.premises).reorder_days == 7

    def test_suggested_packs_cover_four_weeks_beyond_the_reorder_point(self, world):
        steady_usage(world.premises, 20, opening=20 * 56 + 100)
        result = figures(world.premises)
        # (14 + 28) days of 20 tokens = 840 wanted, 100 in stock: 740 -> 2 packs of 500
        assert result.suggested_packs() == 2
        assert result.reorder_level == 280

    def test_suggested_packs_without_history(self, world):
        assert figures(world.premises).suggested_packs() == 1


@pytest.mark.django_db
def test_figures_for_many_premises_is_one_query(world, django_assert_num_queries):
    def build(count):
        for _ in range(count):
            premises = PremisesFactory(organisation=world.premises.organisation)
            steady_usage(premises, 5, days=3)

    build(2)
    with django_assert_num_queries(1):
        small = selectors.token_figures(Premises.objects.all())
    build(8)
    with django_assert_num_queries(1):
        large = selectors.token_figures(Premises.objects.all())
    assert len(large) == len(small) + 8
    assert all(f.days_of_cover is not None for f in large if f.usage_tokens)


@pytest.mark.django_db
def test_stock_history_runs_day_by_day(world):
    movement(world.premises, 100, days_ago=70)
    movement(world.premises, -10, days_ago=2)
    movement(world.premises, 50, days_ago=1)
    history = selectors.stock_history(world.premises)
    assert len(history) == 56
    assert history[0] == (TODAY - timedelta(days=55), 100)
    assert history[-3:] == [
        (TODAY - timedelta(days=2), 90),
        (TODAY - timedelta(days=1), 140),
        (TODAY, 140),
    ]


@pytest.mark.django_db
def test_stock_history_starts_from_everything_before_its_first_day_in_one_query(
    world, django_assert_num_queries
):
    movement(world.premises, 100, days_ago=70)
    movement(world.premises, 20, days_ago=56)  # the day before the first day
    movement(world.premises, 5, days_ago=55)  # the first day
    movement(world.premises, 7, days_ago=-1)  # tomorrow: not yet
    with django_assert_num_queries(1):
        history = selectors.stock_history(world.premises)
    assert history[0] == (TODAY - timedelta(days=55), 125)
    assert history[-1] == (TODAY, 125)
