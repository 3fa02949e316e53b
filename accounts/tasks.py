from celery import shared_task
from django.core.mail import send_mail

from . import standings


@shared_task(acks_late=True)
def send_email(*, to, subject, body):
    """Deliver one email. Callers queue it through the outbox (accounts/emails.py), which
    retries a refused or unreachable mail server with backoff and records what failed."""
    send_mail(subject, body, None, [to] if isinstance(to, str) else list(to))


@shared_task(acks_late=True)
def send_text(*, to, body):
    """Send one text message through GOV.UK Notify. Callers queue it through the outbox
    (accounts/emails.py queue_text), only where Notify is configured."""
    from outbox.notify import text_send

    text_send(phone_number=to, body=body)


@shared_task(acks_late=True)
def refresh_standings():
    """Daily: work out every premises' standing in every area, for what changes with time
    alone (confirmations ageing, certificate windows, days of cover), store it with the
    day's history, and repair any left stale. Safe to run twice. Returns how many premises
    it worked out."""
    results = standings.standings_refresh()
    return max((len(by_premises) for by_premises in results.values()), default=0)
