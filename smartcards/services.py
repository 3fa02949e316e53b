"""Writes for the smartcards area.

Each service checks permission, locks what it changes, moves the request along its
states (open -> claimed -> resolved / referred / declined, or cancelled), keeps who and
when on the request and in its history, writes the audit event, and queues email on
commit. A refused transition raises ValidationError with a message for the person.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format

from accounts import standings
from accounts.actions import enforce
from accounts.audit import audit_record
from accounts.emails import queue_email
from accounts.models import Membership, User
from accounts.permissions import Permission, has_permission

from . import actions, selectors
from .actions import RequestAction
from .models import (
    RegistrationAuthority,
    SmartcardHolder,
    SmartcardRequest,
    SmartcardRequestEvent,
)
from .selectors import AREA
from .validators import normalise_uuid, validate_no_passcode, validate_phone, validate_uuid

Status = SmartcardRequest.Status
Kind = SmartcardRequest.Kind
Action = SmartcardRequestEvent.Action

ESCALATION_JOB = "smartcards escalation job"
REMINDER_JOB = "smartcards reminder job"

OUTCOME_DONE = "done"
OUTCOME_REFERRED = "referred"


def _require(user, permission, obj=None):
    if not has_permission(user, permission, obj):
        raise PermissionDenied


def _day(value):
    return date_format(value, "j F Y")


def _moment(value):
    return date_format(timezone.localtime(value), "j F Y \\a\\t H:i")


def _guard(field, text, uuid=""):
    try:
        validate_no_passcode(text, uuid)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from None


def _lock(smartcard_request):
    return (
        SmartcardRequest.objects.select_for_update(of=("self",))
        .select_related("holder__user", "premises__organisation")
        .get(pk=smartcard_request.pk)
    )


def _event(smartcard_request, action, actor, note="", at=None):
    is_person = isinstance(actor, User)
    return SmartcardRequestEvent.objects.create(
        request=smartcard_request,
        action=action,
        actor=actor if is_person else None,
        actor_label=actor.full_name if is_person else f"system: {actor}",
        at=at or timezone.now(),
        note=note,
    )


def _audit(actor, action, smartcard_request, changes=None):
    audit_record(
        actor=actor,
        action=f"smartcard_request.{action}",
        obj=smartcard_request,
        premises=smartcard_request.premises,
        changes={"status": smartcard_request.status, **(changes or {})},
    )
    # Requests (and a renewal's new certificate date) are part of the smartcards standing
    # of the request's premises and of every premises the holder works at.
    _standing_changed(smartcard_request.holder.user_id, {smartcard_request.premises_id})


def _standing_changed(user_id, premises_ids=frozenset()):
    works_at = (
        Membership.objects.current().filter(user_id=user_id).values_list("premises_id", flat=True)
    )
    standings.refresh_on_commit(set(premises_ids) | set(works_at), areas=[AREA])


def _people_to_tell(smartcard_request):
    """The holder, and whoever raised the request for them."""
    people = [smartcard_request.holder.user]
    if smartcard_request.raised_by_id != smartcard_request.holder.user_id:
        people.append(smartcard_request.raised_by)
    return [person for person in people if person.is_active]


def _email(people, subject, template, context):
    for person in people:
        queue_email(
            to=person.email,
            subject=subject,
            template=template,
            context={**context, "recipient": person},
        )


# --- Card details ------------------------------------------------------------------------


def _holder_premises(person):
    membership = (
        Membership.objects.current()
        .filter(user=person)
        .select_related("premises__organisation")
        .order_by("premises__name")
        .first()
    )
    return membership.premises if membership else None


@transaction.atomic
def smartcard_holder_save(
    *, actor, person, uuid, certificate_expires_on, has_cim_email, premises=None
):
    """Record or change a person's card details: by the person, or by their manager."""
    if actor.pk != person.pk and (
        premises is None or not selectors.can_act_for(actor, person, premises)
    ):
        raise PermissionDenied
    uuid = normalise_uuid(uuid)
    try:
        validate_uuid(uuid)
    except ValidationError as error:
        raise ValidationError({"uuid": error.messages}) from None
    holder = SmartcardHolder.objects.select_for_update().filter(user=person).first()
    if SmartcardHolder.objects.filter(uuid=uuid).exclude(user=person).exists():
        raise ValidationError(
            {
                "uuid": "This UUID is already recorded for someone else. Check the number on "
                "the card; if it is right, contact your Registration Authority."
            }
        )
    today = timezone.localdate()
    changed_date = holder is None or holder.certificate_expires_on != certificate_expires_on
    if changed_date and certificate_expires_on < today:
        raise ValidationError(
            {
                "certificate_expires_on": "The certificate expiry date must be today or in the "
                "future. If the certificates have expired, only the Registration Authority "
                "can repair the card."
            }
        )
    values = {
        "uuid": uuid,
        "certificate_expires_on": certificate_expires_on,
        "has_cim_email": has_cim_email,
    }
    if holder is None:
        holder = SmartcardHolder(user=person, **values)
        action, changes = "smartcard_holder.created", {k: str(v) for k, v in values.items()}
    else:
        changes = {
            name: [str(getattr(holder, name)), str(value)]
            for name, value in values.items()
            if getattr(holder, name) != value
        }
        if not changes:
            return holder
        for name, value in values.items():
            setattr(holder, name, value)
        action = "smartcard_holder.updated"
    try:
        with transaction.atomic():
            holder.save()
    except IntegrityError:
        raise ValidationError(
            {"uuid": "This UUID is already recorded for someone else. Check the number."}
        ) from None
    audit_record(
        actor=actor,
        action=action,
        obj=holder,
        premises=premises or _holder_premises(person),
        changes=changes,
    )
    _standing_changed(person.pk)
    return holder


def smartcard_holder_view(*, actor, holder):
    """Record that someone looked at a holder's profile (not the holder themselves)."""
    if actor.pk == holder.user_id:
        return
    in_scope = selectors.holder_premises_in_scope(actor, holder)
    audit_record(
        actor=actor,
        action="smartcard_holder.viewed",
        obj=holder,
        premises=in_scope[0] if in_scope else None,
    )


# --- Requests: the holder's side ---------------------------------------------------------


def renewal_refusal(holder, today=None):
    """Why the card's certificates cannot be renewed locally today, or None if they can."""
    state = holder.certificate(today)
    if state.is_expired:
        return ValidationError(
            f"The certificates expired on {_day(state.expires_on)}. Once they have expired "
            "only the Registration Authority can repair the card: refer it to the RA.",
            code="expired",
        )
    if not state.in_renewal_window:
        return ValidationError(
            f"Certificates can only be renewed in the {state.window_days} days before they "
            f"expire. These expire on {_day(state.expires_on)}, so they can be renewed from "
            f"{_day(state.window_opens_on)}.",
            code="outside_renewal_window",
        )
    return None


def expired_unlock_warning(holder, premises, today=None):
    """What to tell whoever asks for an unlock of a card whose certificates have expired,
    or None when they have not. An unlocker can unlock the card, but it will not work
    until the Registration Authority repairs it (DESIGN.md, smartcards), so the person is
    pointed to the RA of the premises' ICB area before the request is sent."""
    state = holder.certificate(today)
    if not state.is_expired:
        return None
    authority = (
        RegistrationAuthority.objects.filter(region_id=premises.region_id).first()
        if premises is not None
        else None
    )
    contact = (
        f"{authority.name}, {authority.main_phone}"
        + (f" (local {authority.local_phone})" if authority.local_phone else "")
        if authority
        else "see the smartcard guidance for their contact details"
    )
    return (
        f"The certificates on this card expired on {_day(state.expires_on)}. Unlocking it "
        f"will not make it work: only the Registration Authority can repair it ({contact})."
    )


@transaction.atomic
def smartcard_request_raise(
    *, actor, holder, premises, kind, urgent=False, note="", expired_understood=False
):
    """Raise an unlock or renew request for a card, from the holder or their manager.

    A renewal is refused outside the certificate renewal window (renewal_refusal). An
    unlock for a card whose certificates have expired is refused on "expired_understood"
    with the RA's contact (expired_unlock_warning) unless the person has said they
    understand; if sent, the unlocker's request page says so plainly. The note is
    checked by the passcode guard. Raises PermissionDenied when the actor may not act
    for the holder at the premises, ValidationError (field errors) otherwise.
    """
    holder = SmartcardHolder.objects.select_related("user").get(pk=holder.pk)
    if not selectors.can_act_for(actor, holder.user, premises):
        raise PermissionDenied
    if kind not in Kind.values:
        raise ValidationError({"kind": "Select unlock or renew"})
    note = (note or "").strip()
    _guard("note", note, holder.uuid)
    if kind == Kind.RENEW:
        refusal = renewal_refusal(holder)
        if refusal is not None:
            raise ValidationError({"kind": refusal.messages})
    expired_warning = expired_unlock_warning(holder, premises) if kind == Kind.UNLOCK else None
    if expired_warning and not expired_understood:
        raise ValidationError(
            {
                "expired_understood": ValidationError(
                    f"{expired_warning} Tick the box to send the unlock request anyway.",
                    code="certificates_expired",
                )
            }
        )
    existing = (
        SmartcardRequest.objects.filter(
            holder=holder, kind=kind, status__in=SmartcardRequest.ACTIVE
        )
        .select_related("claimed_by")
        .first()
    )
    if existing is not None:
        raise ValidationError(
            {
                "kind": f"There is already an {existing.get_kind_display().lower()} request "
                f"for this card, raised on {_moment(existing.raised_at)}. Follow that one."
            }
        )
    now = timezone.now()
    try:
        with transaction.atomic():
            smartcard_request = SmartcardRequest.objects.create(
                kind=kind,
                holder=holder,
                premises=premises,
                raised_by=actor,
                raised_at=now,
                waiting_since=now,
                urgent=urgent,
                note=note,
            )
    except IntegrityError:
        raise ValidationError(
            {"kind": "There is already a request like this for this card. Follow that one."}
        ) from None
    _event(smartcard_request, Action.RAISED, actor, note, at=now)
    changes = {"kind": kind, "urgent": urgent}
    if expired_warning:
        changes["certificates_expired"] = True
    _audit(actor, "raised", smartcard_request, changes)
    return smartcard_request


@transaction.atomic
def smartcard_request_cancel(*, actor, smartcard_request, reason=""):
    smartcard_request = _lock(smartcard_request)
    enforce(actions.check(actor, RequestAction.CANCEL, smartcard_request))
    reason = (reason or "").strip()
    _guard("reason", reason, smartcard_request.holder.uuid)
    claimer = smartcard_request.claimed_by if smartcard_request.status == Status.CLAIMED else None
    now = timezone.now()
    smartcard_request.status = Status.CANCELLED
    smartcard_request.closed_by = actor
    smartcard_request.closed_at = now
    smartcard_request.closing_note = reason
    smartcard_request.save()
    _event(smartcard_request, Action.CANCELLED, actor, reason, at=now)
    _audit(
        actor, "cancelled", smartcard_request, {"was_claimed_by": claimer.email if claimer else ""}
    )
    if claimer is not None and claimer.pk != actor.pk and claimer.is_active:
        _email(
            [claimer],
            f"Smartcard request cancelled: {smartcard_request.holder.user.full_name}",
            "smartcards/emails/request_cancelled.txt",
            {"smartcard_request": smartcard_request, "cancelled_by": actor},
        )
    return smartcard_request


# --- Requests: the unlocker's side -------------------------------------------------------


@transaction.atomic
def smartcard_request_claim(*, actor, smartcard_request):
    """Exactly one unlocker holds a request: the row lock makes a second claimer wait,
    then see the first one's claim. Who may claim, and when, is smartcards.actions;
    claiming what the actor already holds changes nothing. Raises PermissionDenied
    outside the actor's queue, ValidationError (the reason, with its code) otherwise."""
    smartcard_request = _lock(smartcard_request)
    verdict = actions.check(actor, RequestAction.CLAIM, smartcard_request)
    if verdict.code == "claimed_by_you":
        return smartcard_request
    enforce(verdict)
    now = timezone.now()
    smartcard_request.status = Status.CLAIMED
    smartcard_request.claimed_by = actor
    smartcard_request.claimed_at = now
    smartcard_request.save()
    _event(smartcard_request, Action.CLAIMED, actor, at=now)
    _audit(actor, "claimed", smartcard_request)
    _email(
        _people_to_tell(smartcard_request),
        f"{actor.full_name} is working on your smartcard request",
        "smartcards/emails/request_claimed.txt",
        {"smartcard_request": smartcard_request},
    )
    return smartcard_request


@transaction.atomic
def smartcard_request_release(*, actor, smartcard_request):
    """Give a claimed request back to the queue. Portal admins can free a stuck claim
    (smartcards.actions)."""
    smartcard_request = _lock(smartcard_request)
    enforce(actions.check(actor, RequestAction.RELEASE, smartcard_request))
    released_from = smartcard_request.claimed_by
    now = timezone.now()
    smartcard_request.status = Status.OPEN
    smartcard_request.claimed_by = None
    smartcard_request.claimed_at = None
    # Waiting starts again, and so does the clock for escalation.
    smartcard_request.waiting_since = now
    smartcard_request.escalated_at = None
    smartcard_request.save()
    _event(smartcard_request, Action.RELEASED, actor, at=now)
    _audit(actor, "released", smartcard_request, {"released_from": released_from.email})
    return smartcard_request


@transaction.atomic
def smartcard_request_resolve(
    *, actor, smartcard_request, outcome, note, identity_checked=False, new_expires_on=None
):
    """Record what the claimer did: unlocked or renewed the card, or referred it to the RA."""
    smartcard_request = _lock(smartcard_request)
    enforce(actions.check(actor, RequestAction.RESOLVE, smartcard_request))
    holder = smartcard_request.holder
    note = (note or "").strip()
    if outcome not in (OUTCOME_DONE, OUTCOME_REFERRED):
        raise ValidationError({"outcome": "Select what happened"})
    if not note:
        raise ValidationError({"note": "Enter a short note for the holder"})
    _guard("note", note, holder.uuid)
    if outcome == OUTCOME_DONE:
        if not identity_checked:
            raise ValidationError(
                {
                    "identity_checked": "Confirm you checked the holder's identity as your "
                    "Registration Authority's procedure requires"
                }
            )
        if smartcard_request.kind == Kind.RENEW:
            refusal = renewal_refusal(holder)
            if refusal is not None:
                raise ValidationError({"outcome": refusal.messages})
            if new_expires_on is None:
                raise ValidationError(
                    {
                        "new_expires_on": "Enter the new certificate expiry date from Care "
                        "Identity Management"
                    }
                )
            if new_expires_on <= holder.certificate_expires_on:
                raise ValidationError(
                    {
                        "new_expires_on": "The new expiry date must be after the old one, "
                        f"{_day(holder.certificate_expires_on)}"
                    }
                )
    now = timezone.now()
    changes = {"outcome": outcome, "identity_checked": bool(identity_checked)}
    if outcome == OUTCOME_DONE and smartcard_request.kind == Kind.RENEW:
        holder = SmartcardHolder.objects.select_for_update().get(pk=holder.pk)
        changes["certificate_expires_on"] = [
            str(holder.certificate_expires_on),
            str(new_expires_on),
        ]
        holder.certificate_expires_on = new_expires_on
        holder.save(update_fields=["certificate_expires_on", "updated_at"])
    smartcard_request.status = Status.RESOLVED if outcome == OUTCOME_DONE else Status.REFERRED
    smartcard_request.closed_by = actor
    smartcard_request.closed_at = now
    smartcard_request.closing_note = note
    smartcard_request.identity_checked = bool(identity_checked)
    smartcard_request.save()
    action = Action.RESOLVED if outcome == OUTCOME_DONE else Action.REFERRED
    _event(smartcard_request, action, actor, note, at=now)
    _audit(actor, action, smartcard_request, changes)
    _email_closed(smartcard_request)
    return smartcard_request


@transaction.atomic
def smartcard_request_decline(*, actor, smartcard_request, reason):
    smartcard_request = _lock(smartcard_request)
    enforce(actions.check(actor, RequestAction.DECLINE, smartcard_request))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Enter why you are declining the request"})
    _guard("reason", reason, smartcard_request.holder.uuid)
    now = timezone.now()
    smartcard_request.status = Status.DECLINED
    smartcard_request.closed_by = actor
    smartcard_request.closed_at = now
    smartcard_request.closing_note = reason
    smartcard_request.save()
    _event(smartcard_request, Action.DECLINED, actor, reason, at=now)
    _audit(actor, "declined", smartcard_request)
    _email_closed(smartcard_request)
    return smartcard_request


def _email_closed(smartcard_request):
    authorities = selectors.registration_authorities_for_premises([smartcard_request.premises])
    _email(
        _people_to_tell(smartcard_request),
        f"Your smartcard request: {smartcard_request.outcome_label.lower()}",
        "smartcards/emails/request_closed.txt",
        {
            "smartcard_request": smartcard_request,
            "referred_to_ra": smartcard_request.status == Status.REFERRED,
            "authority": authorities[0] if authorities else None,
        },
    )


# --- Jobs --------------------------------------------------------------------------------


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


# --- Registration Authorities ------------------------------------------------------------

AUTHORITY_FIELDS = ("name", "main_phone", "local_phone", "email", "notes")


@transaction.atomic
def registration_authority_save(*, actor, region, **fields):
    _require(actor, Permission.MANAGE_UNLOCKER_COVER)
    values = {name: (fields.get(name) or "").strip() for name in AUTHORITY_FIELDS}
    errors = {}
    for name in ("main_phone", "local_phone"):
        if values[name] or name == "main_phone":
            try:
                validate_phone(values[name])
            except ValidationError as error:
                errors[name] = error.messages
    if not values["name"]:
        errors["name"] = ["Enter the Registration Authority's name"]
    for name in ("name", "notes"):
        try:
            validate_no_passcode(values[name])
        except ValidationError as error:
            errors[name] = error.messages
    if errors:
        raise ValidationError(errors)
    authority = RegistrationAuthority.objects.select_for_update().filter(region=region).first()
    if authority is None:
        authority = RegistrationAuthority(region=region, **values)
        changes = dict(values)
        action = "registration_authority.created"
    else:
        changes = {
            name: [getattr(authority, name), value]
            for name, value in values.items()
            if getattr(authority, name) != value
        }
        if not changes:
            return authority
        for name, value in values.items():
            setattr(authority, name, value)
        action = "registration_authority.updated"
    authority.full_clean()
    authority.save()
    audit_record(actor=actor, action=action, obj=authority, changes=changes)
    return authority
