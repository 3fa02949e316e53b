"""Bank holidays in England and Wales, for days of cover and order-by dates.

Pharmacies do not dispense as usual on bank holidays, and PCSE and token suppliers do not
take or deliver orders on them or at weekends. The dates come from the `holidays`
package (United Kingdom, England; Wales has the same bank holidays), with substitute
days ("Boxing Day (observed)") and one-off ones (a coronation, a state funeral): the
portal keeps no list of its own.

Days more than HORIZON_YEARS after this year are treated as ordinary days: a run-out
date that far away is only an order of magnitude, and the work per premises stays small.
"""

import bisect
from datetime import timedelta
from functools import lru_cache

import holidays
from django.utils import timezone

HORIZON_YEARS = 2


@lru_cache(maxsize=32)
def _dates(first_year, last_year):
    found = holidays.country_holidays("GB", subdiv="ENG", years=range(first_year, last_year + 1))
    return tuple(sorted(found))


@lru_cache(maxsize=32)
def _date_set(year):
    return frozenset(_dates(year, year))


def _horizon_year():
    return timezone.localdate().year + HORIZON_YEARS


def is_bank_holiday(day, *, horizon=None):
    """Whether `day` is a bank holiday in England and Wales (within the horizon: pass
    _horizon_year() when asking about many days, so today is read once)."""
    return day.year <= (horizon or _horizon_year()) and day in _date_set(day.year)


def is_working_day(day, *, horizon=None):
    """A day PCSE and suppliers work: Monday to Friday, not a bank holiday."""
    return day.weekday() < 5 and not is_bank_holiday(day, horizon=horizon)


def run_out_date(today, days_of_cover):
    """The first day of trading without stock, when today's stock covers `days_of_cover`
    days of use. Bank holidays use no tokens: each one before the date puts it back a
    day, and a date that falls on one moves to the next day."""
    end = today + timedelta(days=days_of_cover)
    horizon = _horizon_year()
    if today.year > horizon:
        return end
    dates = _dates(today.year, horizon)
    index = bisect.bisect_left(dates, today)
    while index < len(dates) and dates[index] <= end:
        end += timedelta(days=1)
        index += 1
    return end


def order_by_date(run_out_on, reorder_days):
    """The last working day to order on PCSE Online for the delivery to arrive
    `reorder_days` days (lead time and safety margin) before `run_out_on`. Bank holidays
    on the way do not count as days of delivery or of margin, and a date on a weekend or
    bank holiday moves back to the working day before."""
    horizon = _horizon_year()
    day = run_out_on
    remaining = reorder_days
    while remaining > 0:
        day -= timedelta(days=1)
        if not is_bank_holiday(day, horizon=horizon):
            remaining -= 1
    while not is_working_day(day, horizon=horizon):
        day -= timedelta(days=1)
    return day


def bank_holidays_between(start, end):
    """The bank holidays from start to end, both included, as (date, name) pairs."""
    found = holidays.country_holidays("GB", subdiv="ENG", years=range(start.year, end.year + 1))
    return sorted((day, name) for day, name in found.items() if start <= day <= end)
