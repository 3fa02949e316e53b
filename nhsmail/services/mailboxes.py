"""Shared mailboxes, and personal accounts linked to them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Membership
from accounts.permissions import Permission

from ..models import MailboxLink, SharedMailbox
from ..validators import is_shared_mailbox_address, normalise_nhsmail
from ._shared import _refresh_on_commit, _require

if TYPE_CHECKING:
    from collections.abc import Iterable

    from accounts.models import Premises, User

    from ..models import PersonalAccount


@transaction.atomic
def mailbox_set(
    *, actor: User, premises: Premises, address: str, owners: Iterable[User] = ()
) -> SharedMailbox:
    """Record or change the premises' shared mailbox address (normalised) and set its
    owners; audited, the NHSmail standing refreshed on commit
    (docs/decisions/0025-nhsmail-shared-mailbox-addresses.md).

    Raises PermissionDenied without Permission.MANAGE_NHSMAIL there, and ValidationError
    ({"address": ...}) for an address another premises uses or the model refuses."""
    _require(actor, Permission.MANAGE_NHSMAIL, premises)
    address = normalise_nhsmail(address)
    if SharedMailbox.objects.filter(address=address).exclude(premises=premises).exists():
        raise ValidationError({"address": "Another premises already uses this shared mailbox"})
    mailbox = SharedMailbox.objects.filter(premises=premises).first()
    before = mailbox.address if mailbox else None
    if mailbox is None:
        mailbox = SharedMailbox(premises=premises)
    mailbox.address = address
    mailbox.full_clean(exclude=["premises"])
    mailbox.save()
    mailbox.owners.set(owners)
    audit_record(
        actor=actor,
        action="nhsmail.mailbox_set",
        obj=mailbox,
        premises=premises,
        changes={"address": [before, address], "owners": sorted(o.email for o in owners)},
    )
    _refresh_on_commit([premises.pk])
    return mailbox


@transaction.atomic
def link_create(*, actor: User, premises: Premises, account: PersonalAccount) -> MailboxLink:
    """Link a person's account to the premises' shared mailbox, from today; audited, the
    NHSmail standing refreshed on commit.

    Raises PermissionDenied without Permission.MANAGE_NHSMAIL there, and ValidationError
    ({"account": ...}) when there is no shared mailbox, the person does not work there,
    the address is a shared mailbox's, or the link exists."""
    _require(actor, Permission.MANAGE_NHSMAIL, premises)
    mailbox = SharedMailbox.objects.filter(premises=premises).first()
    if mailbox is None:
        raise ValidationError({"account": "Record the premises' shared mailbox first"})
    if not Membership.objects.current().filter(user_id=account.user_id, premises=premises).exists():
        raise ValidationError(
            {"account": f"{account.user.full_name} does not work at {premises.name}"}
        )
    address = normalise_nhsmail(account.address)
    if is_shared_mailbox_address(address) or SharedMailbox.objects.filter(address=address).exists():
        # An account stored before shared mailbox addresses were refused.
        raise ValidationError(
            {
                "account": ValidationError(
                    f"{account.address} is a shared mailbox address, not "
                    f"{account.user.full_name}'s own account. Record their own NHSmail "
                    "address first.",
                    code="shared_mailbox",
                )
            }
        )
    if MailboxLink.objects.current().filter(account=account, mailbox=mailbox).exists():
        raise ValidationError(
            {"account": f"{account.address} is already linked to {mailbox.address}"}
        )
    link = MailboxLink.objects.create(account=account, mailbox=mailbox, linked_by=actor)
    audit_record(
        actor=actor,
        action="nhsmail.linked",
        obj=link,
        premises=premises,
        changes={"account": account.address, "mailbox": mailbox.address},
    )
    _refresh_on_commit([premises.pk])
    return link


@transaction.atomic
def link_end(*, actor: User, link: MailboxLink) -> MailboxLink:
    """End a link today (never before the day it began); audited, the NHSmail standing
    refreshed on commit. Raises PermissionDenied without Permission.MANAGE_NHSMAIL at its
    premises, and ValidationError when it was already ended."""
    premises = link.mailbox.premises
    _require(actor, Permission.MANAGE_NHSMAIL, premises)
    link = MailboxLink.objects.select_for_update().get(pk=link.pk)
    if link.unlinked_on is not None:
        raise ValidationError(f"This account was already unlinked on {link.unlinked_on:%-d %B %Y}")
    link.unlinked_on = max(timezone.localdate(), link.linked_on)
    link.unlinked_by = actor
    link.save(update_fields=["unlinked_on", "unlinked_by"])
    audit_record(
        actor=actor,
        action="nhsmail.unlinked",
        obj=link,
        premises=premises,
        changes={"account": link.account.address, "mailbox": link.mailbox.address},
    )
    _refresh_on_commit([premises.pk])
    return link
