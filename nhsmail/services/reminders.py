"""Reminders to confirm accounts are in use, before NHSmail marks them inactive."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.emails import queue_email

from .. import rules
from ..models import PersonalAccount


@transaction.atomic
def confirmation_reminders_send(*, on=None):
    """Remind people whose account has gone unconfirmed for 25 days: once per confirmation."""
    on = on or timezone.localdate()
    due = (
        PersonalAccount.objects.select_for_update(skip_locked=True)
        .filter(
            status=PersonalAccount.Status.LIVE,
            last_confirmed_on__lte=on - timedelta(days=rules.REMIND_AFTER_DAYS),
            last_confirmed_on__gt=on - timedelta(days=rules.STOPS_COUNTING_AFTER_DAYS),
        )
        .select_related("user")
    )
    sent = 0
    for account in due:
        if account.reminder_sent_for == account.last_confirmed_on:
            continue
        account.reminder_sent_for = account.last_confirmed_on
        account.save(update_fields=["reminder_sent_for"])
        queue_email(
            to=account.user.email,
            subject="Confirm you still use your NHSmail account",
            template="nhsmail/emails/confirm_reminder.txt",
            context={
                "account": account,
                "deadline": account.last_confirmed_on + timedelta(days=rules.AT_RISK_AFTER_DAYS),
            },
        )
        sent += 1
    return sent
