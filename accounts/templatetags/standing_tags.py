"""Standings on a page: `{% standing_tag %}` and `{% area_link %}`, built in to every
template (settings TEMPLATES builtins) as the NHS.UK tags are."""

from django import template
from django.urls import reverse
from django.utils.html import format_html

from accounts import standings
from ui.templatetags.nhsuk import nhsuk_tag

register = template.Library()


@register.simple_tag
def standing_tag(standing):
    """{% standing_tag row.nhsmail %}: a stored standing (accounts.standings.StoredStanding)
    as an NHS.UK tag in its level's colour, saying so when it may be out of date."""
    if standing is None:
        return nhsuk_tag("Not worked out yet", standings.STALE_TAG_COLOUR)
    tag = nhsuk_tag(standing.label, standing.tag_colour)
    if standing.stale:
        return format_html(
            '{} <span class="nhsuk-body-s">(may be out of date: being worked out again)</span>',
            tag,
        )
    return tag


@register.simple_tag
def area_link(area, premises):
    """{% area_link area premises %}: "Open" linking to the area's page for the premises."""
    return format_html(
        '<a href="{}">Open<span class="nhsuk-u-visually-hidden"> {} for {}</span></a>',
        reverse(area.premises_page, args=[premises.pk]),
        area.label,
        premises.name,
    )
