"""NHSmail demo picture: Calder Valley is amber (two linked accounts; a third person has
an account not yet linked), the chains a mix of green, amber and red."""

from datetime import timedelta

from django.utils import timezone

from accounts.models import Membership, Premises, User

from .models import MailboxLink, PersonalAccount, SharedMailbox
from .validators import suggested_shared_mailbox


def _account(user, confirmed_days_ago=3, status=PersonalAccount.Status.LIVE):
    local = user.email.split("@")[0].replace("+", ".")
    account, _ = PersonalAccount.objects.get_or_create(
        user=user,
        defaults={
            "address": f"{local}@nhs.net",
            "status": status,
            "last_confirmed_on": timezone.localdate() - timedelta(days=confirmed_days_ago),
            "last_confirmed_by": user,
        },
    )
    return account


def _link(account, mailbox, by):
    if not MailboxLink.objects.filter(
        account=account, mailbox=mailbox, unlinked_on__isnull=True
    ).exists():
        MailboxLink.objects.create(
            account=account,
            mailbox=mailbox,
            linked_by=by,
            linked_on=timezone.localdate() - timedelta(days=200),
        )


def seed(personas):
    manager = personas["manager@demo.portal.test"]
    for index, premises in enumerate(
        Premises.objects.filter(ods_code__startswith="F")
        .exclude(ods_code__startswith="FS")
        .order_by("ods_code")
    ):
        # Two Pennine premises have never recorded their shared mailbox.
        if premises.ods_code in {"FP117", "FP123"}:
            continue
        mailbox, _ = SharedMailbox.objects.get_or_create(
            premises=premises, defaults={"address": suggested_shared_mailbox(premises.ods_code)}
        )
        staff = [
            m.user
            for m in Membership.objects.current()
            .filter(premises=premises)
            .select_related("user")
            .order_by("user__email")
        ]
        if premises.ods_code == "FA1C7":
            people = [manager, personas["staff@demo.portal.test"]]
            mailbox.owners.add(manager)
            _account(User.objects.get(email="j.barker@demo.portal.test"), confirmed_days_ago=27)
        else:
            # A spread: most premises have three or four linked, some two, some one.
            people = staff[: [4, 3, 3, 2, 1, 3, 4][index % 7]]
        for person in people:
            _link(
                _account(person, confirmed_days_ago=(index * 7 + len(person.email)) % 35),
                mailbox,
                by=manager,
            )
