"""The jobs through a real Celery worker on Redis: reminders and escalations go once."""

import time
from datetime import timedelta

from django.core import mail
from django.utils import timezone

from smartcards import tasks
from smartcards.models import SmartcardRequest
from tests.factories import MembershipFactory, UnlockerCoverFactory
from tests.smartcards.factories import SmartcardRequestFactory, holder_at


def wait_for_mail(count, timeout=30):
    deadline = time.monotonic() + timeout
    while len(mail.outbox) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return len(mail.outbox)


def settle(seconds=1.5):
    """Give a worker time to do anything it was (wrongly) going to do."""
    time.sleep(seconds)


def test_reminders_and_escalations_are_sent_once(real_celery_worker):
    cover = UnlockerCoverFactory()
    premises = cover.premises
    MembershipFactory(premises=premises, is_manager=True)
    holder = holder_at(premises, certificate_expires_on=timezone.localdate() + timedelta(days=60))

    assert tasks.send_certificate_reminders.delay().get(timeout=30) == 1
    assert wait_for_mail(2) == 2  # the holder and their manager
    assert tasks.send_certificate_reminders.delay().get(timeout=30) == 0
    settle()
    assert len(mail.outbox) == 2
    holder.refresh_from_db()
    assert holder.renewal_reminder_for == holder.certificate_expires_on

    mail.outbox.clear()
    smartcard_request = SmartcardRequestFactory(holder=holder, premises=premises, urgent=True)
    SmartcardRequest.objects.filter(pk=smartcard_request.pk).update(
        waiting_since=timezone.now() - timedelta(hours=1)
    )
    assert tasks.escalate_waiting_requests.delay().get(timeout=30) == 1
    assert wait_for_mail(1) == 1
    assert mail.outbox[0].to == [cover.unlocker.email]
    # A second run, and a duplicate delivery of the same job, change nothing.
    assert tasks.escalate_waiting_requests.delay().get(timeout=30) == 0
    assert tasks.escalate_request.delay(smartcard_request.pk).get(timeout=30) is False
    settle()
    assert len(mail.outbox) == 1
