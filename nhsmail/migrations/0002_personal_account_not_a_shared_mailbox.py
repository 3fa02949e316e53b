"""Report personal accounts stored with a shared mailbox's address.

services.account_record now refuses such an address. Accounts stored before are listed,
one line each, and kept: the shared-mailbox rule stops counting them
(nhsmail.rules.qualifying_links), and whoever manages the person can put their own
address in. Nothing changes, so reversing does nothing.
"""

from django.db import migrations
from django.db.models import Q

from nhsmail.validators import shared_mailbox_address_q


def report_shared_mailbox_accounts(apps, schema_editor):
    PersonalAccount = apps.get_model("nhsmail", "PersonalAccount")
    SharedMailbox = apps.get_model("nhsmail", "SharedMailbox")
    found = (
        PersonalAccount.objects.filter(
            Q(address__in=SharedMailbox.objects.values("address"))
            | shared_mailbox_address_q("address")
        )
        .order_by("pk")
        .values_list("pk", "address")
    )
    lines = [
        f"nhsmail: personal account {pk} has the shared mailbox address {address}; "
        "it no longer counts towards the shared-mailbox rule"
        for pk, address in found
    ]
    if lines:
        # On lines of their own, after migrate's "Applying ..." (written without a newline).
        print("", *lines, sep="\n")


class Migration(migrations.Migration):
    dependencies = [
        ("nhsmail", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(report_shared_mailbox_accounts, migrations.RunPython.noop),
    ]
