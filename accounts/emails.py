"""Email composition for accounts. Queued through Celery after the change commits."""

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string

from .tasks import send_email


def queue_email(*, to, subject, template, context):
    body = render_to_string(template, {**context, "base_url": settings.PORTAL_BASE_URL})
    transaction.on_commit(lambda: send_email.delay(to=to, subject=subject, body=body))
