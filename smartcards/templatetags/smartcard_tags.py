"""Presentation of smartcard states: tag colours and wording live here, not in templates."""

from django import template
from django.utils import timezone
from django.utils.formats import date_format

from ui.templatetags.nhsuk import nhsuk_tag

from ..models import SmartcardRequest

register = template.Library()

Status = SmartcardRequest.Status

STATUS_COLOURS = {
    Status.OPEN: "yellow",
    Status.CLAIMED: "blue",
    Status.RESOLVED: "green",
    Status.REFERRED: "purple",
    Status.CANCELLED: "grey",
    Status.DECLINED: "red",
}


@register.simple_tag
def request_status_tag(smartcard_request):
    """{% request_status_tag smartcard_request %}: Waiting, Claimed, Unlocked, Renewed..."""
    return nhsuk_tag(smartcard_request.outcome_label, STATUS_COLOURS.get(smartcard_request.status))


@register.simple_tag
def certificate_tag(holder, today=None):
    """{% certificate_tag holder %}: Expired, Renewal due or Valid."""
    state = holder.certificate(today)
    if state.is_expired:
        return nhsuk_tag("Expired", "red")
    if state.in_renewal_window:
        return nhsuk_tag("Renewal due", "orange")
    return nhsuk_tag("Valid", "green")


@register.simple_tag
def certificate_dates(holder, today=None):
    """{% certificate_dates holder %}: "expired on 17 November 2026" for a date past,
    "expire today, 17 November 2026", or "expire on 17 November 2027"."""
    state = holder.certificate(today)
    day = date_format(state.expires_on, "j F Y")
    if state.is_expired:
        return f"expired on {day}"
    if state.days_left == 0:
        return f"expire today, {day}"
    return f"expire on {day}"


@register.filter
def days_phrase(days):
    """12 -> "12 days", 1 -> "1 day", 0 -> "today"."""
    if days == 0:
        return "today"
    days = abs(days)
    return f"{days} day{'s' if days != 1 else ''}"


@register.filter
def waited(since, now=None):
    """How long since a moment, in the words of a queue: "4 minutes", "2 hours 5 minutes",
    "3 days 1 hour"."""
    if since is None:
        return ""
    seconds = max(0, int(((now or timezone.now()) - since).total_seconds()))
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400

    def unit(n, word):
        return f"{n} {word}{'s' if n != 1 else ''}"

    if days:
        rest = hours - days * 24
        return unit(days, "day") + (f" {unit(rest, 'hour')}" if rest else "")
    if hours:
        rest = minutes - hours * 60
        return unit(hours, "hour") + (f" {unit(rest, 'minute')}" if rest else "")
    if minutes:
        return unit(minutes, "minute")
    return "less than a minute"
