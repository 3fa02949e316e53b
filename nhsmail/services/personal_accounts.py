"""Personal NHSmail accounts: recorded by their holder or manager, confirmed in use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.actions import enforce
from accounts.audit import audit_record

from .. import actions
from ..actions import AccountAction
from ..models import AccountRequest, PersonalAccount, SharedMailbox
from ..validators import is_shared_mailbox_address, normalise_nhsmail, shared_mailbox_message
from ._shared import _current_premises_ids, _refresh_on_commit

if TYPE_CHECKING:
    from datetime import date

    from accounts.models import User


@transaction.atomic
def account_record(*, actor: User, person: User, address: str, status: str) -> PersonalAccount:
    """Record or update a person's personal NHSmail account (status: a
    PersonalAccount.Status value). Recording it live counts as confirming it in use today,
    and marks the person's open account requests live.

    Raises PermissionDenied unless the actor is the person or manages NHSmail where they
    work, and ValidationError ({"address": ...}; code shared_mailbox for a shared
    mailbox address, which is never a personal account) for an address recorded for
    someone else or the model refuses."""
    if not actions.may_edit_account_of(actor, person):
        raise PermissionDenied
    address = normalise_nhsmail(address)
    # A shared mailbox is never a person's own account: refused by its shape, and when it is
    # any premises' shared mailbox in the portal, whatever its shape.
    if is_shared_mailbox_address(address) or SharedMailbox.objects.filter(address=address).exists():
        raise ValidationError(
            {"address": ValidationError(shared_mailbox_message(address), code="shared_mailbox")}
        )
    if PersonalAccount.objects.filter(address=address).exclude(user=person).exists():
        raise ValidationError(
            {"address": "This NHSmail address is already recorded for another person"}
        )
    account = PersonalAccount.objects.select_for_update().filter(user=person).first()
    before = {"address": account.address, "status": account.status} if account else {}
    if account is None:
        account = PersonalAccount(user=person)
    account.address = address
    account.status = status
    if (
        status == PersonalAccount.Status.LIVE
        and before.get("status") != PersonalAccount.Status.LIVE
    ):
        # Recording an account as live is itself a confirmation that it is in use.
        account.last_confirmed_on = timezone.localdate()
        account.last_confirmed_by = actor
    account.full_clean(exclude=["user", "last_confirmed_by"])
    account.save()
    changes = {
        name: [before.get(name), getattr(account, name)]
        for name in ("address", "status")
        if before.get(name) != getattr(account, name)
    }
    if changes:
        audit_record(actor=actor, action="nhsmail.account_recorded", obj=account, changes=changes)
        if status == PersonalAccount.Status.LIVE:
            AccountRequest.objects.filter(user=person).exclude(
                status=AccountRequest.Status.LIVE
            ).update(status=AccountRequest.Status.LIVE, completed_at=timezone.now())
    _refresh_on_commit(_current_premises_ids(person))
    return account


@transaction.atomic
def account_confirm_live(
    *, actor: User, account: PersonalAccount, on: date | None = None
) -> PersonalAccount:
    """Someone confirms the account was in use on a day (today unless they say): it counts
    for STOPS_COUNTING_AFTER_DAYS days from then (nhsmail.rules).

    Raises PermissionDenied unless the actor is its holder or manages NHSmail where they
    work (nhsmail.actions), and ValidationError ({"confirmed_on": ...}) for a future
    date, an account not live, or a date before the last confirmation."""
    on = on or timezone.localdate()
    if not actions.may_edit_account_of(actor, account.user):
        raise PermissionDenied
    if on > timezone.localdate():
        raise ValidationError({"confirmed_on": "The date cannot be in the future"})
    account = PersonalAccount.objects.select_for_update().get(pk=account.pk)
    enforce(
        actions.check_account(actor, AccountAction.CONFIRM, account, may_edit=True),
        field="confirmed_on",
    )
    if account.last_confirmed_on and on < account.last_confirmed_on:
        raise ValidationError(
            {"confirmed_on": f"It was already confirmed on {account.last_confirmed_on:%-d %B %Y}"}
        )
    account.last_confirmed_on = on
    account.last_confirmed_by = actor
    account.save(update_fields=["last_confirmed_on", "last_confirmed_by", "updated_at"])
    audit_record(
        actor=actor,
        action="nhsmail.account_confirmed",
        obj=account,
        changes={"confirmed_on": on.isoformat()},
    )
    _refresh_on_commit(_current_premises_ids(account.user))
    return account
