"""Import runs on a page: `{% import_run_state run as state %}` and `{% import_status_tag run %}`,
both read from imports/actions.py."""

from django import template

from ui.templatetags.nhsuk import nhsuk_tag

from ..actions import run_state

register = template.Library()


@register.simple_tag
def import_run_state(run):
    """{% import_run_state run as state %}: what the page may show and offer for the run."""
    return run_state(run)


@register.simple_tag
def import_status_tag(run):
    """{% import_status_tag run %}: the run's status as an NHS.UK tag in its colour."""
    return nhsuk_tag(run.get_status_display(), run_state(run).tag_colour)
