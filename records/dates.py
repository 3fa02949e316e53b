import calendar
import datetime


def add_months(day, months):
    """The same day `months` calendar months later (earlier if negative), or the last day
    of that month when it is shorter: 31 August plus 6 months is 28 or 29 February."""
    month_index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(month_index, 12)
    month += 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
