"""The jobs' writes: escalating requests left unclaimed too long, and reminding holders
and their managers that certificates need renewing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_event, audit_record_events
from accounts.emails import queue_text
from outbox.services import batched

from .. import selectors
from ..models import SmartcardHolder, SmartcardRequest, SmartcardRequestEvent
from ._shared import Action, _day, _email

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import date, datetime

ESCALATION_JOB = "smartcards escalation job"
REMINDER_JOB = "smartcards reminder job"


def smartcard_request_escalate(*, request_id: int, now: datetime | None = None) -> bool:
    """smartcard_requests_escalate for one request: True if this call sent it."""
    return request_id in smartcard_requests_escalate(request_ids=[request_id], now=now)


@transaction.atomic
@batched()  # every email and text of the run in one outbox statement
def smartcard_requests_escalate(
    *, request_ids: Iterable[int], now: datetime | None = None
) -> list[int]:
    """Tell the covering unlockers and the portal admins that requests have waited too
    long unclaimed. Once per wait: a request is locked, and skipped once escalated,
    claimed or closed. A fixed number of queries for any batch of requests, besides one
    email task per recipient. Returns the ids escalated by this call."""
    now = now or timezone.now()
    due = list(
        SmartcardRequest.objects.select_for_update(of=("self",))
        .select_related("holder__user", "premises__organisation")
        .filter(selectors.escalation_due(now), pk__in=list(request_ids))
        .order_by("pk")
    )
    if not due:
        return []
    recipients = selectors.escalation_recipients_for([r.premises for r in due])
    SmartcardRequest.objects.filter(pk__in=[r.pk for r in due]).update(escalated_at=now)
    SmartcardRequestEvent.objects.bulk_create(
        [
            SmartcardRequestEvent(
                request=smartcard_request,
                action=Action.ESCALATED,
                actor=None,
                actor_label=f"system: {ESCALATION_JOB}",
                at=now,
            )
            for smartcard_request in due
        ]
    )
    events = []
    for smartcard_request in due:
        smartcard_request.escalated_at = now
        people = recipients[smartcard_request.premises_id]
        events.append(
            audit_event(
                actor=ESCALATION_JOB,
                action="smartcard_request.escalated",
                obj=smartcard_request,
                premises=smartcard_request.premises,
                changes={"recipients": [person.email for person in people]},
            )
        )
        urgency = "Urgent smartcard request" if smartcard_request.urgent else "Smartcard request"
        _email(
            people,
            f"{urgency} waiting unclaimed at {smartcard_request.premises.name}",
            "smartcards/emails/request_escalated.txt",
            {
                "smartcard_request": smartcard_request,
                "minutes": settings.SMARTCARD_ESCALATE_AFTER_MINUTES,
            },
        )
    audit_record_events(events)
    return [smartcard_request.pk for smartcard_request in due]


REMINDER_RENEWAL = "renewal"
REMINDER_FINAL = "final"


def certificate_reminder_send(*, holder_id: int, today: date | None = None) -> str | None:
    """certificate_reminders_send for one holder: which reminder went, or None."""
    return certificate_reminders_send(holder_ids=[holder_id], today=today).get(holder_id)


@transaction.atomic
@batched()  # every email and text of the run in one outbox statement
def certificate_reminders_send(
    *, holder_ids: Iterable[int], today: date | None = None
) -> dict[int, str]:
    """Remind holders and their premises managers that the certificates need renewing:
    once when they enter the renewal window, once more shortly before they expire.

    holder_ids: a batch of SmartcardHolder ids (the daily job sends a few hundred at a
    time). Each holder is locked, so two runs at once never send one reminder twice.
    A fixed number of queries for any batch, besides one email task each. Holders who gave
    a mobile number are sent a text message too, where GOV.UK Notify is configured
    (accounts.emails.queue_text; decisions/0041): the number is on the holder's row, so
    no query more. Returns {holder_id: REMINDER_RENEWAL or REMINDER_FINAL} for the holders
    reminded.
    """
    today = today or timezone.localdate()
    holders = list(
        SmartcardHolder.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(pk__in=list(holder_ids))
        .order_by("pk")
    )
    due = []
    for holder in holders:
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
            continue
        due.append((holder, state, stage))
    if not due:
        return {}
    SmartcardHolder.objects.bulk_update(
        [holder for holder, _, _ in due], ["final_reminder_for", "renewal_reminder_for"]
    )
    people = [holder.user for holder, _, _ in due]
    managers = selectors.manager_memberships_for(people, today)
    works_at = selectors.first_premises_of(people, today)
    events, sent = [], {}
    for holder, state, stage in due:
        expires_on = holder.certificate_expires_on
        their_managers = managers.get(holder.user_id, [])
        subject = (
            f"Smartcard certificates expire on {_day(expires_on)}"
            if stage == REMINDER_FINAL
            else "Smartcard certificates can now be renewed"
        )
        context = {"holder": holder, "state": state, "stage": stage}
        template = "smartcards/emails/certificate_reminder.txt"
        recipients, texted = [m.user.email for m in their_managers], False
        if holder.user.is_active:
            recipients.insert(0, holder.user.email)
            _email([holder.user], subject, template, context)
            texted = bool(holder.reminder_mobile) and queue_text(
                to=holder.reminder_mobile,
                template="smartcards/texts/certificate_reminder.txt",
                context={
                    "stage": stage,
                    "expires_on": _day(expires_on),
                    "days_left": state.days_left,
                },
            )
        for membership in their_managers:
            _email(
                [membership.user], subject, template, {**context, "premises": membership.premises}
            )
        changes = {"expires_on": str(expires_on), "recipients": recipients}
        if texted:
            # That a text went, never the number (decisions/0041).
            changes["text_message"] = True
        events.append(
            audit_event(
                actor=REMINDER_JOB,
                action=f"smartcard_holder.reminder_{stage}",
                obj=holder,
                premises=works_at.get(holder.user_id),
                changes=changes,
            )
        )
        sent[holder.pk] = stage
    audit_record_events(events)
    return sent
