"""NHSmail at national scale: the daily compliance job over 12,000 premises."""

from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Membership, Premises, StandingDay
from benchmarks.scale import SCALE_EMAIL_DOMAIN
from nhsmail.models import MailboxLink, PersonalAccount, SharedMailbox
from nhsmail.rules import counts_as_live_since
from nhsmail.services import compliance_refresh

STATUS_CYCLE = ["live"] * 9 + ["inactive", "disabled", "leaver"]

FLOOR_SQL = """
SELECT p.id, COUNT(DISTINCT a.user_id)
FROM accounts_premises p
LEFT JOIN nhsmail_sharedmailbox m ON m.premises_id = p.id
LEFT JOIN nhsmail_mailboxlink l
    ON l.mailbox_id = m.id AND l.unlinked_on IS NULL AND l.linked_on <= %s
LEFT JOIN nhsmail_personalaccount a
    ON a.id = l.account_id AND a.status = 'live' AND a.last_confirmed_on >= %s
    AND EXISTS (
        SELECT 1 FROM accounts_membership s
        WHERE s.user_id = a.user_id AND s.premises_id = p.id AND s.start_date <= %s
        AND (s.end_date IS NULL OR s.end_date > %s)
    )
GROUP BY p.id
"""


def seed():
    if SharedMailbox.objects.filter(premises__ods_code__startswith="FS").exists():
        return False
    today = timezone.localdate()
    with transaction.atomic():
        premises = list(
            Premises.objects.filter(ods_code__startswith="FS").values_list("id", "ods_code")
        )
        SharedMailbox.objects.bulk_create(
            [
                SharedMailbox(premises_id=pid, address=f"pharmacy.{ods.lower()}@nhs.net")
                for index, (pid, ods) in enumerate(premises)
                if index % 33  # about 3% have never recorded their mailbox
            ],
            batch_size=5000,
        )
        memberships = Membership.objects.filter(
            user__email__endswith=f"@{SCALE_EMAIL_DOMAIN}"
        ).values_list("user_id", "premises_id")
        accounts = []
        for index, (user_id, _premises_id) in enumerate(memberships):
            if index % 4 == 3:
                continue  # a quarter of staff have no account recorded
            accounts.append(
                PersonalAccount(
                    user_id=user_id,
                    address=f"scale.{user_id}@nhs.net",
                    status=STATUS_CYCLE[index % len(STATUS_CYCLE)],
                    last_confirmed_on=today - timedelta(days=index % 75),
                )
            )
        PersonalAccount.objects.bulk_create(accounts, batch_size=5000)
        account_of = dict(
            PersonalAccount.objects.filter(address__startswith="scale.").values_list(
                "user_id", "id"
            )
        )
        mailbox_of = dict(
            SharedMailbox.objects.filter(premises__ods_code__startswith="FS").values_list(
                "premises_id", "id"
            )
        )
        links = [
            MailboxLink(
                account_id=account_of[user_id],
                mailbox_id=mailbox_of[premises_id],
                linked_by_id=user_id,
                linked_on=today - timedelta(days=100),
            )
            for index, (user_id, premises_id) in enumerate(memberships)
            if user_id in account_of and premises_id in mailbox_of and index % 5
        ]
        MailboxLink.objects.bulk_create(links, batch_size=5000)
    compliance_refresh(baseline=True)
    return True


def measure(h):
    n = Premises.objects.count()
    today = timezone.localdate()
    since = counts_as_live_since(today)

    def floor():
        with connection.cursor() as cursor:
            cursor.execute(FLOOR_SQL, [today, since, today, today])
            return cursor.fetchall()

    # The daily run: today's history rows do not exist yet, so all 12,000 are written, as
    # at 06:00 every morning, with the current standings. Alert emails are left out
    # (baseline): they are composed only for premises that changed, and sent by workers.
    def no_snapshot_today():
        StandingDay.objects.filter(area="nhsmail", day=today).delete()

    def daily_run():
        compliance_refresh(on=today, baseline=True)

    h.compare("compliance", n, daily_run, floor, repeat=5, setup=no_snapshot_today)
    h.compare("compliance_rerun", n, daily_run, floor, repeat=5)
