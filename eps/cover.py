"""Days of cover, in one place: how long a premises' EPS tokens last, when it is low,
when to order and how much.

Daily use is estimated from the usage recorded over the last USAGE_WINDOW_DAYS (eight
weeks): the tokens used, over the days from the first covered day to the last record,
both counted. Days of cover are whole days of that use in today's stock (integers, so the
page and the low-stock job never differ by rounding). A premises is low when its days of
cover fall below its reorder point: the supplier's lead time plus the safety margin
(TokenSettings). Without usage in the window none of these are known, and the premises is
never low. eps.selectors.TokenFigures carries each premises' figures and hands them here.
"""

from datetime import date, timedelta

from .bank_holidays import bank_holidays_between, order_by_date, run_out_date

# Daily use is estimated from the usage recorded over the last eight weeks.
USAGE_WINDOW_DAYS = 56
# A suggested order covers this many days of use beyond the reorder point.
ORDER_COVER_DAYS = 28
# Bank holidays are named up to a year ahead at most.
HOLIDAYS_SHOWN_DAYS = 365


def usage_days(usage_tokens: int, usage_from: date | None, usage_to: date | None) -> int | None:
    """The days the window's usage covers (first covered day to last record, both
    counted), or None when no tokens were used in it."""
    if usage_tokens > 0 and usage_from and usage_to:
        return (usage_to - usage_from).days + 1
    return None


def days_of_cover(stock: int, usage_tokens: int, days: int | None) -> int | None:
    """Whole days of use in `stock` tokens at `usage_tokens` used over `days` days; None
    without usage (`days` None)."""
    if days is None:
        return None
    return stock * days // usage_tokens


def daily_use(usage_tokens: int, days: int | None) -> float | None:
    """Tokens used a day, or None without usage."""
    if days is None:
        return None
    return usage_tokens / days


def reorder_days(lead_time_days: int, safety_margin_days: int) -> int:
    """The reorder point in days of cover: delivery time plus the safety margin."""
    return lead_time_days + safety_margin_days


def is_low(cover: int | None, reorder: int) -> bool:
    """Below the reorder point; never low when days of cover are not known."""
    return cover is not None and cover < reorder


def reorder_level(usage_tokens: int, days: int | None, reorder: int) -> int | None:
    """The stock, in whole tokens rounded up, at which days of cover reach the reorder
    point; None without usage."""
    if days is None:
        return None
    return -(-usage_tokens * reorder // days)


def needs_alert(low: bool, placed_orders: int) -> bool:
    """Low, and nothing placed on PCSE Online that would put it right."""
    return low and placed_orders == 0


def run_out_on(today: date, cover: int | None) -> date | None:
    """The first day of trading without tokens: days of cover counted from today, England
    and Wales bank holidays using none (eps.bank_holidays); None without usage."""
    if cover is None:
        return None
    return run_out_date(today, cover)


def order_by(run_out: date | None, reorder: int) -> date | None:
    """The last working day (not a weekend or bank holiday, when PCSE and suppliers are
    closed) to place an order that arrives with the safety margin intact; None without
    usage."""
    if run_out is None:
        return None
    return order_by_date(run_out, reorder)


def order_now(last_day: date | None, today: date) -> bool:
    """Whether the last day to order (order_by) is today or past."""
    return last_day is not None and last_day <= today


def bank_holidays_ahead(today: date, run_out: date | None) -> list:
    """[(date, name)] of the bank holidays from today to the run-out date (the next
    eight weeks when that is not known, a year at most), for the page to name them."""
    until = run_out or today + timedelta(days=USAGE_WINDOW_DAYS)
    until = min(until, today + timedelta(days=HOLIDAYS_SHOWN_DAYS))
    return bank_holidays_between(today, until)


def suggested_packs(
    stock: int, usage_tokens: int, days: int | None, reorder: int, pack_size: int
) -> int:
    """Packs to bring stock up to the reorder point plus ORDER_COVER_DAYS of use, whole
    packs rounded up, at least one; one without usage."""
    if days is None:
        return 1
    target = usage_tokens * (reorder + ORDER_COVER_DAYS) / days
    wanted = max(0, target - stock)
    return max(1, -(-int(wanted) // pack_size))
