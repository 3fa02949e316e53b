"""NHSmail at national scale: the daily compliance job over 12,000 premises.

Floor: the same refresh written by hand. The standings floor's statement for the NHSmail
area (benchmarks.standings_floor: standings, the day's history, the tallies), then one
statement recording each premises' alert state as nhsmail.services.after_refresh does
(a new state, a changed status, a red premises due its weekly reminder), returning the
alert states it wrote.
"""

from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Membership, Premises, StandingDay
from benchmarks.scale import SCALE_EMAIL_DOMAIN
from nhsmail.models import MailboxLink, PersonalAccount, SharedMailbox
from nhsmail.services import RED_REMINDER_EVERY, compliance_refresh

STATUS_CYCLE = ["live"] * 9 + ["inactive", "disabled", "leaver"]

ALERT_STATES_SQL = """
INSERT INTO nhsmail_compliancealertstate AS state
  (premises_id, status, since, last_notified_on)
SELECT premises_id, level, %(on)s, CASE WHEN level <> 'green' THEN %(on)s::date END
FROM accounts_premisesstanding
WHERE area = 'nhsmail'
ORDER BY premises_id
ON CONFLICT (premises_id) DO UPDATE SET
  status = EXCLUDED.status,
  since = CASE WHEN state.status <> EXCLUDED.status THEN EXCLUDED.since ELSE state.since END,
  last_notified_on = %(on)s
WHERE state.status <> EXCLUDED.status
  OR (EXCLUDED.status = 'red' AND state.last_notified_on <= %(reminder_due)s)
RETURNING premises_id, status
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


def compliance_floor(on):
    """compliance_refresh(on=on, baseline=True) for every premises, by hand: returns
    [(premises_id, status)] of the alert states it wrote. PostgreSQL only."""
    from benchmarks.standings_floor import refresh_floor

    with transaction.atomic():
        refresh_floor(on=on, areas=["nhsmail"])
        with connection.cursor() as cursor:
            cursor.execute(ALERT_STATES_SQL, {"on": on, "reminder_due": on - RED_REMINDER_EVERY})
            return cursor.fetchall()


def measure(h):
    if connection.vendor != "postgresql":
        print("bench nhsmail skipped: the floor is PostgreSQL SQL", flush=True)
        return
    n = Premises.objects.count()
    today = timezone.localdate()

    def floor():
        return compliance_floor(today)

    # The daily run: today's history rows do not exist yet, so all 12,000 are written, as
    # at 06:00 every morning, with the current standings. Alert emails are left out
    # (baseline): they are composed only for premises that changed, and sent by workers.
    def no_snapshot_today():
        StandingDay.objects.filter(area="nhsmail", day=today).delete()

    def daily_run():
        compliance_refresh(on=today, baseline=True)

    h.compare("compliance", n, daily_run, floor, repeat=5, between=no_snapshot_today)
    h.compare("compliance_rerun", n, daily_run, floor, repeat=5)
