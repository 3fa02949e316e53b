"""NHSmail files: one row per person and shared mailbox link."""

import re

from django.utils import timezone

from accounts.models import Membership, User
from nhsmail import services as nhsmail_services
from nhsmail.models import MailboxLink, PersonalAccount, SharedMailbox
from nhsmail.validators import normalise_nhsmail, shared_mailbox_message

from .. import cells
from ..models import ImportRun
from .base import Action, Column, ImportKind, _changes, _error, _show

ACCOUNT_STATUSES = PersonalAccount.Status.choices
ACCOUNT_STATUS_KEYS = cells.choices_lookup(ACCOUNT_STATUSES)


def _account_status(value):
    if not cells.text(value):
        return PersonalAccount.Status.LIVE
    return cells.choice(value, ACCOUNT_STATUSES, ACCOUNT_STATUS_KEYS, "NHSmail account status")


NHSMAIL_CLEANERS = {
    "email": lambda value: cells.email(
        value, missing="Enter the person's email address on the portal"
    ),
    "nhsmail_address": lambda value: cells.nhsmail_address(value, personal=True),
    "status": _account_status,
    "shared_mailbox": lambda value: cells.nhsmail_address(value, personal=False),
}


class NhsmailKind(ImportKind):
    kind = ImportRun.Kind.NHSMAIL
    extra_labels = {"address": "NHSmail address"}
    columns = (
        Column("email", "Email address", "Their email on the portal"),
        Column(
            "nhsmail_address",
            "NHSmail address",
            "Their own, like sam.jones@nhs.net; never the shared mailbox",
        ),
        Column(
            "status",
            "Status",
            "Live, Requested, Inactive, Disabled for leave, Leaver or Deleted; blank for Live",
            required=False,
        ),
        Column(
            "shared_mailbox",
            "Shared mailbox",
            "Like pharmacy.fa123@nhs.net; blank for no link",
            required=False,
        ),
    )

    def key(self, data):
        # One row per link: the same person may be on several rows, one per shared mailbox.
        email = (data.get("email") or "").strip().lower()
        return f"{email}|{normalise_nhsmail(data.get('shared_mailbox'))}"

    def cleaners(self):
        return NHSMAIL_CLEANERS

    def context(self, run):
        ctx = super().context(run)
        mailboxes = SharedMailbox.objects.filter(premises__organisation=run.organisation)
        ctx["mailboxes"] = {m.address: m for m in mailboxes.select_related("premises")}
        ctx["mailboxes_by_premises"] = {m.premises_id: m for m in ctx["mailboxes"].values()}
        # The account each person's earlier rows record: {user id: (address, status, row)}.
        ctx["planned"] = {}
        return ctx

    def _mailbox(self, address, ctx):
        """(SharedMailbox, None) for a current address or a legacy alias the portal can
        place; else (None, message saying what to enter instead)."""
        mailbox = ctx["mailboxes"].get(address)
        if mailbox is not None:
            return mailbox, None
        organisation = ctx["organisation"].name
        legacy = LEGACY_ALIAS.match(address)
        if legacy:
            premises = ctx["premises"].get(legacy.group("code").upper())
            mailbox = ctx["mailboxes_by_premises"].get(premises.pk) if premises else None
            if mailbox is not None:
                return mailbox, None
            return None, (
                f"{address} is an old-style shared mailbox alias, and no premises of "
                f"{organisation} has a shared mailbox for its ODS code. Enter the current "
                "address, pharmacy.<ODS code>@nhs.net, like pharmacy.fa123@nhs.net."
            )
        if address.startswith("nhspharmacy."):
            return None, (
                f"{address} is an old-style shared mailbox alias the portal cannot place. "
                "Enter the current address, pharmacy.<ODS code>@nhs.net, like "
                "pharmacy.fa123@nhs.net."
            )
        return None, f"No premises of {organisation} has the shared mailbox {address}"

    def classify(self, items, ctx):
        today = timezone.localdate()
        emails = {cleaned["email"] for _, cleaned in items}
        users = {u.email: u for u in User.objects.filter(email__in=emails)}
        works_at = {}
        for user_id, premises_id in (
            Membership.objects.current(today)
            .filter(user__in=users.values(), premises__organisation=ctx["organisation"])
            .values_list("user_id", "premises_id")
        ):
            works_at.setdefault(user_id, set()).add(premises_id)
        accounts = {a.user_id: a for a in PersonalAccount.objects.filter(user__in=users.values())}
        addresses = {cleaned["nhsmail_address"] for _, cleaned in items}
        taken = dict(
            PersonalAccount.objects.filter(address__in=addresses).values_list("address", "user_id")
        )
        # Any premises' shared mailbox, not only this organisation's: never a personal account.
        shared = set(
            SharedMailbox.objects.filter(address__in=addresses).values_list("address", flat=True)
        )
        links = set(
            MailboxLink.objects.current()
            .filter(account__user__in=users.values())
            .values_list("account__user_id", "mailbox_id")
        )
        steps = []
        for row, cleaned in items:
            user = users.get(cleaned["email"])
            if user is None or user.pk not in works_at:
                _error(
                    row,
                    "Email address",
                    f"No one with this email works at a premises of {ctx['organisation'].name}",
                )
                continue
            if cleaned["nhsmail_address"] in shared:
                _error(row, "NHSmail address", shared_mailbox_message(cleaned["nhsmail_address"]))
                continue
            owner = taken.get(cleaned["nhsmail_address"])
            if owner is not None and owner != user.pk:
                _error(
                    row,
                    "NHSmail address",
                    "This NHSmail address is already recorded for another person",
                )
                continue
            mailbox = None
            if cleaned["shared_mailbox"]:
                mailbox, problem = self._mailbox(cleaned["shared_mailbox"], ctx)
                if mailbox is None:
                    _error(row, "Shared mailbox", problem)
                    continue
                if mailbox.premises_id not in works_at[user.pk]:
                    _error(
                        row,
                        "Shared mailbox",
                        f"{user.full_name} does not work at {mailbox.premises.name}, whose "
                        "shared mailbox this is",
                    )
                    continue
            account = accounts.get(user.pk)
            wanted = {"address": cleaned["nhsmail_address"], "status": cleaned["status"]}
            planned = ctx["planned"].get(user.pk)
            if planned is not None:
                # An earlier row records this person's account: later rows add links.
                if (planned[0], planned[1]) != (wanted["address"], wanted["status"]):
                    _error(
                        row,
                        "NHSmail address",
                        f"Row {planned[2]} gives {user.full_name} the NHSmail account "
                        f"{planned[0]} ({_show(planned[1], 'status')}). Give the same "
                        "address and status on every row for one person.",
                    )
                    continue
                current = wanted
            elif account:
                current = {"address": account.address, "status": account.status}
            else:
                current = {"address": None, "status": None}
            ctx["planned"].setdefault(user.pk, (wanted["address"], wanted["status"], row.number))
            changes = _changes(current, wanted)
            link_needed = mailbox is not None and (user.pk, mailbox.pk) not in links
            if link_needed:
                given = cleaned["shared_mailbox"]
                changes["shared_mailbox"] = [
                    "",
                    mailbox.address
                    if given == mailbox.address
                    else f"{mailbox.address} (the file gives the old alias {given})",
                ]
            row.changes = changes
            if not changes:
                row.action = Action.UNCHANGED
                continue
            row.action = Action.ADD if account is None and planned is None else Action.CHANGE
            steps.append(
                (
                    row,
                    cleaned,
                    user,
                    mailbox if link_needed else None,
                    bool({"address", "status"} & set(changes)),
                )
            )
        return steps

    def apply(self, *, actor, run, steps, ctx):
        for _row, cleaned, user, mailbox, account_changes in steps:
            if account_changes:
                account = nhsmail_services.account_record(
                    actor=actor,
                    person=user,
                    address=cleaned["nhsmail_address"],
                    status=cleaned["status"],
                )
            else:
                account = PersonalAccount.objects.get(user=user)
            if mailbox is not None:
                nhsmail_services.link_create(
                    actor=actor, premises=mailbox.premises, account=account
                )


# nhspharmacy.<place>.<name><ODS code>@nhs.net: the code is the last five characters.
LEGACY_ALIAS = re.compile(r"^nhspharmacy\.[^@]*(?P<code>f[a-z0-9]{4})@nhs\.net$", re.IGNORECASE)
