"""Email and text message composition. Each is written to the outbox in the caller's
transaction and sent by a worker after the change commits (outbox/services.py)."""

from django.conf import settings
from django.template.loader import render_to_string

from outbox.notify import notify_configured
from outbox.services import enqueue

from .tasks import send_email, send_text


def queue_email(*, to, subject, template, context):
    body = render_to_string(template, {**context, "base_url": settings.PORTAL_BASE_URL})
    enqueue(send_email, to=to, subject=subject, body=body)


def queue_text(*, to, template, context):
    """Queue a text message to the phone number `to` where GOV.UK Notify is configured
    (text messages go only through Notify); returns whether it was queued."""
    if not notify_configured():
        return False
    body = render_to_string(template, {**context, "base_url": settings.PORTAL_BASE_URL})
    enqueue(send_text, to=to, body=body.strip())
    return True
