"""Reminders to confirm accounts are in use, before NHSmail marks them inactive."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.emails import queue_email
from outbox.services import batched

from .. import rules
from ..models import PersonalAccount

if TYPE_CHECKING:
    from datetime import date


@transaction.atomic
def confirmation_reminders_send(*, on: date | None = None) -> int:
    """Remind people whose account has gone unconfirmed for REMIND_AFTER_DAYS (25) days,
    before it is at risk at 30 (nhsmail.rules): once per confirmation.

    Reads the accounts due in one query (locking them, skipping any another run holds),
    marks them all reminded in one UPDATE, and queues one email each. Returns how many.
    """
    on = on or timezone.localdate()
    due = list(
        PersonalAccount.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            status=PersonalAccount.Status.LIVE,
            last_confirmed_on__lte=on - timedelta(days=rules.REMIND_AFTER_DAYS),
            last_confirmed_on__gt=on - timedelta(days=rules.STOPS_COUNTING_AFTER_DAYS),
        )
        .filter(Q(reminder_sent_for__isnull=True) | ~Q(reminder_sent_for=F("last_confirmed_on")))
        .select_related("user")
        .order_by("pk")
    )
    if not due:
        return 0
    PersonalAccount.objects.filter(pk__in=[account.pk for account in due]).update(
        reminder_sent_for=F("last_confirmed_on")
    )
    at_risk = timedelta(days=rules.AT_RISK_AFTER_DAYS)
    with batched():
        for account in due:
            account.reminder_sent_for = account.last_confirmed_on
            queue_email(
                to=account.user.email,
                subject="Confirm you still use your NHSmail account",
                template="nhsmail/emails/confirm_reminder.txt",
                context={"account": account, "deadline": account.last_confirmed_on + at_risk},
            )
    return len(due)
