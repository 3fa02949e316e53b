"""Writes for the NHSmail area. Each checks permission, changes state, audits, and
re-evaluates the premises it touched once the change commits, so no page is stale.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import standings
from accounts.actions import enforce
from accounts.audit import audit_record, audit_record_many
from accounts.emails import queue_email
from accounts.models import Membership, OrganisationAdmin, Premises
from accounts.permissions import Permission, has_permission

from . import actions, rules
from .actions import AccountAction, RequestAction
from .models import (
    AccountRequest,
    ComplianceAlertState,
    ComplianceStatus,
    MailboxLink,
    PersonalAccount,
    SharedMailbox,
)
from .validators import is_shared_mailbox_address, normalise_nhsmail, shared_mailbox_message

JOB = "NHSmail compliance job"
AREA = "nhsmail"


@dataclass(frozen=True)
class Transition:
    premises_id: int
    status: str
    reason: str


RED_REMINDER_EVERY = timedelta(days=7)


def _require(user, permission, obj):
    if not has_permission(user, permission, obj):
        raise PermissionDenied


def _refresh_on_commit(premises_ids):
    standings.refresh_on_commit(premises_ids, areas=[AREA])


def _current_premises_ids(user):
    return set(Membership.objects.current().filter(user=user).values_list("premises_id", flat=True))


# --- Shared mailboxes --------------------------------------------------------------------


@transaction.atomic
def mailbox_set(*, actor, premises, address, owners=()):
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


# --- Personal accounts -------------------------------------------------------------------


@transaction.atomic
def account_record(*, actor, person, address, status):
    """Record or update a person's personal NHSmail account."""
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
def account_confirm_live(*, actor, account, on=None):
    """Someone confirms the account was in use on a day (today unless they say)."""
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


# --- Links -------------------------------------------------------------------------------


@transaction.atomic
def link_create(*, actor, premises, account):
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
def link_end(*, actor, link):
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


# --- Account requests --------------------------------------------------------------------


@transaction.atomic
def account_request_create(*, actor, premises):
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
def account_request_submit(*, actor, request):
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
def account_request_complete(*, actor, request, address, link=True):
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


# --- Compliance evaluation ---------------------------------------------------------------


def compliance_refresh(*, premises_ids=None, on=None, baseline=False):
    """Work out and store the NHSmail standing of premises (all when premises_ids is
    None) through accounts.standings, which records the day's history and then calls
    after_refresh below to tell people about transitions. Safe to run again: a second run
    on the same day stores the same rows and sends nothing new. A fixed number of queries
    for any number of premises. Returns {premises_id: Standing}.

    baseline=True records the standing without telling anyone (loading demo or scale data).
    """
    return standings.standings_refresh(
        premises_ids=premises_ids, areas=[AREA], on=on, notify=not baseline
    )[AREA]


def after_refresh(standings_by_premises, on, notify):
    """accounts.standings calls this after storing NHSmail standings: record each
    premises' alert state and, unless notify is False, tell managers and head office."""
    transitions = _record_transitions(standings_by_premises, on)
    if transitions and notify:
        _notify(transitions)


def _record_transitions(standings_by_premises, on):
    """Update each premises' alert state; return [(kind, Transition, previous status)]."""
    evaluations = {
        pid: Transition(pid, standing.level, standing.reason)
        for pid, standing in standings_by_premises.items()
    }
    states = dict(
        ComplianceAlertState.objects.filter(premises_id__in=list(evaluations)).values_list(
            "premises_id", "status"
        )
    )
    last_notified = {}
    to_create, changed, transitions = [], {}, []
    for pid, ev in evaluations.items():
        status = states.get(pid)
        if status is None:
            to_create.append(
                ComplianceAlertState(
                    premises_id=pid,
                    status=ev.status,
                    since=on,
                    last_notified_on=on if ev.status != ComplianceStatus.GREEN else None,
                )
            )
            if ev.status != ComplianceStatus.GREEN:
                transitions.append(("changed", ev, None))
        elif status != ev.status:
            kind = "recovered" if ev.status == ComplianceStatus.GREEN else "changed"
            transitions.append((kind, ev, status))
            changed[pid] = {"status": ev.status, "since": on, "last_notified_on": on}
        elif ev.status == ComplianceStatus.RED:
            last_notified[pid] = ev
    # Red premises due a weekly reminder: only the red ones' dates are read.
    for pid in ComplianceAlertState.objects.filter(
        premises_id__in=list(last_notified), last_notified_on__lte=on - RED_REMINDER_EVERY
    ).values_list("premises_id", flat=True):
        transitions.append(("still_red", last_notified[pid], ComplianceStatus.RED))
        changed[pid] = {"last_notified_on": on}
    to_update = []
    for state in ComplianceAlertState.objects.filter(premises_id__in=list(changed)):
        for field, value in changed[state.premises_id].items():
            setattr(state, field, value)
        to_update.append(state)
    ComplianceAlertState.objects.bulk_create(to_create, batch_size=2000)
    ComplianceAlertState.objects.bulk_update(
        to_update, ["status", "since", "last_notified_on"], batch_size=1000
    )
    return transitions


def _change_words(kind, status):
    """How an email names a premises' change: "back to compliant", "still not compliant",
    "not compliant" or "compliant but at risk"."""
    if kind == "recovered":
        return "back to compliant"
    if kind == "still_red":
        return "still not compliant"
    if status == ComplianceStatus.RED:
        return "not compliant"
    return "compliant but at risk"


def _notify(transitions):
    premises_ids = [ev.premises_id for _, ev, _ in transitions]
    info = {
        p["id"]: p
        for p in Premises.objects.filter(pk__in=premises_ids).values(
            "id", "name", "ods_code", "organisation_id"
        )
    }
    audit_record_many(
        actor=JOB,
        action="nhsmail.status_changed",
        rows=[
            (
                ev.premises_id,
                info[ev.premises_id]["organisation_id"],
                f"{info[ev.premises_id]['name']} ({info[ev.premises_id]['ods_code']})",
                {"from": previous, "to": ev.status, "reason": ev.reason, "kind": kind},
            )
            for kind, ev, previous in transitions
            if kind != "still_red"
        ],
    )
    recipients = defaultdict(set)
    for premises_id, email in (
        Membership.objects.current()
        .filter(premises_id__in=premises_ids, is_manager=True, user__is_active=True)
        .values_list("premises_id", "user__email")
    ):
        recipients[premises_id].add(email)
    organisation_ids = {p["organisation_id"] for p in info.values()}
    admins = defaultdict(set)
    for organisation_id, email in OrganisationAdmin.objects.filter(
        organisation_id__in=organisation_ids, user__is_active=True
    ).values_list("organisation_id", "user__email"):
        admins[organisation_id].add(email)
    # One email per person per run, listing every premises of theirs that changed, so a
    # head office is not sent hundreds of separate emails.
    per_person = defaultdict(list)
    for kind, ev, _previous in transitions:
        premises = info[ev.premises_id]
        line = {
            "kind": kind,
            "status": ev.status,
            "words": _change_words(kind, ev.status),
            "reason": ev.reason,
            **premises,
        }
        for email in recipients[ev.premises_id] | admins[premises["organisation_id"]]:
            per_person[email].append(line)
    for email, lines in per_person.items():
        lines.sort(key=lambda line: (line["kind"], line["name"]))
        if len(lines) == 1:
            only = lines[0]
            standing = ComplianceStatus(only["status"]).label.lower()
            subject = {
                "changed": f"NHSmail: {only['name']} is {standing}",
                "still_red": f"NHSmail: {only['name']} is still not compliant",
                "recovered": f"NHSmail: {only['name']} is back to compliant",
            }[only["kind"]]
        else:
            subject = f"NHSmail: {len(lines)} premises changed"
        queue_email(
            to=email,
            subject=subject,
            template="nhsmail/emails/compliance_changes.txt",
            context={"lines": lines},
        )


# --- Reminders to confirm accounts are in use --------------------------------------------


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
