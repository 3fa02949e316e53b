"""The jobs' writes: escalating requests left unclaimed too long, and reminding holders
and their managers that certificates need renewing."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record

from .. import selectors
from ..models import SmartcardHolder, SmartcardRequest
from ._shared import Action, Status, _day, _email, _event
from .cards import _holder_premises

ESCALATION_JOB = "smartcards escalation job"
REMINDER_JOB = "smartcards reminder job"


@transaction.atomic
def smartcard_request_escalate(*, request_id, now=None):
    """Tell the covering unlockers and the portal admins that a request has waited too
    long unclaimed. Once per wait: True if this call sent it."""
    now = now or timezone.now()
    smartcard_request = (
        SmartcardRequest.objects.select_for_update(of=("self",))
        .select_related("holder__user", "premises__organisation")
        .filter(pk=request_id)
        .first()
    )
    cutoff = now - timedelta(minutes=settings.SMARTCARD_ESCALATE_AFTER_MINUTES)
    if (
        smartcard_request is None
        or smartcard_request.status != Status.OPEN
        or smartcard_request.escalated_at is not None
        or smartcard_request.waiting_since > cutoff
    ):
        return False
    recipients = selectors.escalation_recipients(smartcard_request.premises)
    smartcard_request.escalated_at = now
    smartcard_request.save(update_fields=["escalated_at"])
    _event(smartcard_request, Action.ESCALATED, ESCALATION_JOB, at=now)
    audit_record(
        actor=ESCALATION_JOB,
        action="smartcard_request.escalated",
        obj=smartcard_request,
        premises=smartcard_request.premises,
        changes={"recipients": [person.email for person in recipients]},
    )
    urgency = "Urgent smartcard request" if smartcard_request.urgent else "Smartcard request"
    _email(
        recipients,
        f"{urgency} waiting unclaimed at {smartcard_request.premises.name}",
        "smartcards/emails/request_escalated.txt",
        {
            "smartcard_request": smartcard_request,
            "minutes": settings.SMARTCARD_ESCALATE_AFTER_MINUTES,
        },
    )
    return True


REMINDER_RENEWAL = "renewal"
REMINDER_FINAL = "final"


@transaction.atomic
def certificate_reminder_send(*, holder_id, today=None):
    """Remind a holder and their premises managers that the certificates need renewing:
    once when they enter the renewal window, once more shortly before they expire.
    Returns which reminder went, or None."""
    today = today or timezone.localdate()
    holder = (
        SmartcardHolder.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(pk=holder_id)
        .first()
    )
    if holder is None:
        return None
    state = holder.certificate(today)
    expires_on = holder.certificate_expires_on
    if state.final_reminder_due and holder.final_reminder_for != expires_on:
        stage = REMINDER_FINAL
        # The final reminder says everything the first would: never send both late.
        holder.final_reminder_for = expires_on
        holder.renewal_reminder_for = expires_on
    elif state.in_renewal_window and holder.renewal_reminder_for != expires_on:
        stage = REMINDER_RENEWAL
        holder.renewal_reminder_for = expires_on
    else:
        return None
    holder.save(update_fields=["final_reminder_for", "renewal_reminder_for"])
    managers = selectors.manager_memberships_of(holder.user, today)
    recipients = [m.user.email for m in managers]
    if holder.user.is_active:
        recipients.insert(0, holder.user.email)
    audit_record(
        actor=REMINDER_JOB,
        action=f"smartcard_holder.reminder_{stage}",
        obj=holder,
        premises=_holder_premises(holder.user),
        changes={"expires_on": str(expires_on), "recipients": recipients},
    )
    subject = (
        f"Smartcard certificates expire on {_day(expires_on)}"
        if stage == REMINDER_FINAL
        else "Smartcard certificates can now be renewed"
    )
    context = {"holder": holder, "state": state, "stage": stage}
    if holder.user.is_active:
        _email([holder.user], subject, "smartcards/emails/certificate_reminder.txt", context)
    for membership in managers:
        _email(
            [membership.user],
            subject,
            "smartcards/emails/certificate_reminder.txt",
            {**context, "premises": membership.premises},
        )
    return stage
