"""Email composition for accounts. Each email is written to the outbox in the caller's
transaction and sent by a worker after the change commits (outbox/services.py)."""

from django.conf import settings
from django.template.loader import render_to_string

from outbox.services import enqueue

from .tasks import send_email


def queue_email(*, to, subject, template, context):
    body = render_to_string(template, {**context, "base_url": settings.PORTAL_BASE_URL})
    enqueue(send_email, to=to, subject=subject, body=body)
