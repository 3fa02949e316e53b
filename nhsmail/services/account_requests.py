"""A new starter's account request: requested -> submitted for registration -> live."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.actions import enforce
from accounts.audit import audit_record
from accounts.emails import queue_email
from accounts.models import Membership

from .. import actions
from ..actions import RequestAction
from ..models import AccountRequest, MailboxLink, PersonalAccount, SharedMailbox
from .mailboxes import link_create
from .personal_accounts import account_record

if TYPE_CHECKING:
    from accounts.models import Premises, User


@transaction.atomic
def account_request_create(*, actor: User, premises: Premises) -> AccountRequest:
    """A new starter asks for an NHSmail account at a premises where they work
    (docs/decisions/0027-nhsmail-new-starter-requests.md). Raises PermissionDenied when
    they do not work there, and ValidationError when they already have a request there not
    yet live."""
    if not Membership.objects.current().filter(user=actor, premises=premises).exists():
        raise PermissionDenied
    if (
        AccountRequest.objects.filter(user=actor, premises=premises)
        .exclude(status=AccountRequest.Status.LIVE)
        .exists()
    ):
        raise ValidationError(
            "You have already asked for an NHSmail account here. Your manager is tracking it."
        )
    request = AccountRequest.objects.create(user=actor, premises=premises)
    audit_record(actor=actor, action="nhsmail.account_requested", obj=request, premises=premises)
    return request


@transaction.atomic
def account_request_submit(*, actor: User, request: AccountRequest) -> AccountRequest:
    """A manager or head office says they have submitted the starter's registration
    (community pharmacy NHSmail registration portal, or the group's own route).

    Moves the request from "requested" to "submitted for registration" and returns it.
    Raises PermissionDenied without MANAGE_NHSMAIL at the request's premises, and
    ValidationError (code "already", naming who moved it and when) if it has moved on,
    for example from a second browser tab.
    """
    request = (
        AccountRequest.objects.select_for_update(of=("self",))
        .select_related("user", "premises", "submitted_by", "completed_by")
        .get(pk=request.pk)
    )
    enforce(actions.check_request(actor, RequestAction.SUBMIT, request))
    request.status = AccountRequest.Status.SUBMITTED
    request.submitted_at = timezone.now()
    request.submitted_by = actor
    request.save(update_fields=["status", "submitted_at", "submitted_by"])
    audit_record(
        actor=actor,
        action="nhsmail.account_request_submitted",
        obj=request,
        premises=request.premises,
        changes={"status": [AccountRequest.Status.REQUESTED, request.status]},
    )
    return request


@dataclass(frozen=True)
class RequestCompleted:
    request: AccountRequest
    account: PersonalAccount
    link: MailboxLink | None


@transaction.atomic
def account_request_complete(
    *, actor: User, request: AccountRequest, address: str, link: bool = True
) -> RequestCompleted:
    """The starter's personal NHSmail account is live: record it and finish the request.

    address: the starter's own NHSmail address (normalised; a shared mailbox address, or
    one recorded for someone else, is refused by account_record with a field error on
    "address"). Records it as the starter's live personal account (which counts as a
    confirmation of use), links it to the premises' shared mailbox when link is True
    (ValidationError on "link" when the premises has no shared mailbox recorded), marks
    the request "account live", audits, emails the starter on commit, and refreshes the
    premises' NHSmail standing (through account_record and link_create).

    Returns RequestCompleted(request, account, link or None). Raises PermissionDenied
    without MANAGE_NHSMAIL at the premises, ValidationError code "already" when the
    request is not at "submitted for registration" (someone else finished it first).
    """
    request = (
        AccountRequest.objects.select_for_update(of=("self",))
        .select_related("user", "premises", "submitted_by", "completed_by")
        .get(pk=request.pk)
    )
    enforce(actions.check_request(actor, RequestAction.MARK_LIVE, request))
    premises = request.premises
    if link and not SharedMailbox.objects.filter(premises=premises).exists():
        raise ValidationError(
            {"link": f"Record {premises.name}'s shared mailbox first, or do not link it now"}
        )
    account = account_record(
        actor=actor, person=request.user, address=address, status=PersonalAccount.Status.LIVE
    )
    mailbox_link = None
    if link:
        mailbox_link = (
            MailboxLink.objects.current()
            .filter(account=account, mailbox__premises=premises)
            .first()
        ) or link_create(actor=actor, premises=premises, account=account)
    request.status = AccountRequest.Status.LIVE
    request.completed_at = timezone.now()
    request.completed_by = actor
    request.account = account
    request.save(update_fields=["status", "completed_at", "completed_by", "account"])
    audit_record(
        actor=actor,
        action="nhsmail.account_request_completed",
        obj=request,
        premises=premises,
        changes={
            "status": [AccountRequest.Status.SUBMITTED, request.status],
            "address": account.address,
            "linked": mailbox_link is not None,
        },
    )
    if request.user.email:
        queue_email(
            to=[request.user.email],
            subject="Your NHSmail account is recorded in the Pharmacy Digital Portal",
            template="nhsmail/emails/account_live.txt",
            context={
                "person": request.user,
                "premises": premises,
                "account": account,
                "link": mailbox_link,
                "actor": actor,
            },
        )
    return RequestCompleted(request, account, mailbox_link)
