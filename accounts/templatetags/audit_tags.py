"""Presentation of audit events: the words for an action come from accounts.audit_labels."""

from django import template

from ..audit_labels import action_label

register = template.Library()


@register.filter
def audit_label(action):
    """{{ event.action|audit_label }}: "smartcard_request.raised" -> "Smartcard request raised"."""
    return action_label(action)
