"""What the smartcards services share: the request row lock, history events, audit with
the standing refresh, email, dates in words."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.formats import date_format

from accounts import standings
from accounts.audit import audit_record
from accounts.emails import queue_email
from accounts.models import Membership, User
from accounts.permissions import has_permission
from outbox.services import batched

from ..models import SmartcardRequest, SmartcardRequestEvent
from ..selectors import AREA
from ..validators import validate_no_passcode

Status = SmartcardRequest.Status
Kind = SmartcardRequest.Kind
Action = SmartcardRequestEvent.Action


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
    with batched():
        for person in people:
            queue_email(
                to=person.email,
                subject=subject,
                template=template,
                context={**context, "recipient": person},
            )
