"""Small presenters for the EPS token templates: tags, colours and the premises link."""

from django import template
from django.urls import reverse
from django.utils.html import format_html

from accounts.permissions import Permission, has_permission
from ui.templatetags.nhsuk import nhsuk_tag

from ..models import StockMovement, TokenOrder

register = template.Library()

_ORDER_COLOURS = {
    TokenOrder.Status.DRAFT: "grey",
    TokenOrder.Status.PLACED: "blue",
    TokenOrder.Status.RECEIVED: "green",
    TokenOrder.Status.CANCELLED: "white",
}


@register.simple_tag
def order_status_tag(order, today=None):
    if order.is_overdue(today):
        return nhsuk_tag("Overdue", "red")
    return nhsuk_tag(order.get_status_display(), _ORDER_COLOURS.get(order.status, ""))


@register.filter
def signed(value):
    """+40 or -25, with thousands separators."""
    return f"{value:+,}"


@register.filter
def movement_period(movement):
    if movement.kind == StockMovement.Kind.USAGE and movement.period_days == 7:
        return f"week to {movement.occurred_on:%-d %b %Y}"
    return f"{movement.occurred_on:%-d %b %Y}"


@register.simple_tag(takes_context=True)
def tokens_link(context, premises):
    """A link to the premises' token page, for someone allowed to see it."""
    request = context.get("request")
    if request is None or not has_permission(request.user, Permission.VIEW_TOKENS, premises):
        return ""
    return format_html(
        '<li><a href="{}">EPS dispensing tokens<span class="nhsuk-u-visually-hidden"> for {}'
        "</span></a>: stock, usage and orders</li>",
        reverse("tokens_premises", args=[premises.pk]),
        premises.name,
    )


@register.simple_tag
def days_phrase(days):
    if days is None:
        return ""
    return "1 day" if days == 1 else f"{days:,} days"


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None
