"""Card details: recorded by the holder or their manager; profile views audited."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Membership

from .. import selectors
from ..models import SmartcardHolder
from ..validators import normalise_uk_mobile, normalise_uuid, validate_uuid
from ._shared import _standing_changed

if TYPE_CHECKING:
    from datetime import date

    from accounts.models import Premises, User


def _holder_premises(person):
    membership = (
        Membership.objects.current()
        .filter(user=person)
        .select_related("premises__organisation")
        .order_by("premises__name")
        .first()
    )
    return membership.premises if membership else None


def _mobile_said(number, before=""):
    """A mobile number in the audit trail: whether there is one, never the number."""
    if not number:
        return "none"
    return "changed" if before else "given"


@transaction.atomic
def smartcard_holder_save(
    *,
    actor: User,
    person: User,
    uuid: str,
    certificate_expires_on: date,
    has_cim_email: bool,
    premises: Premises | None = None,
    reminder_mobile: str | None = None,
) -> SmartcardHolder:
    """Record or change a person's card details: by the person, or by their manager at
    `premises` (selectors.can_act_for). The UUID is normalised and checked (12 digits); an
    expiry date set or changed must be today or later. Audited; the unchanged holder when
    nothing differs.

    reminder_mobile: the person's own mobile number for text reminders, as typed (stored
    as E.164), "" to remove it, None to leave it as it is (decisions/0041). The audit
    event says it was given, changed or removed, never the number.

    Raises PermissionDenied when the actor may not act for the person there, or gives
    someone else's mobile number, and ValidationError (uuid, certificate_expires_on,
    reminder_mobile) for a bad UUID, one recorded for someone else, an expiry date in the
    past, or a number that is not a UK mobile."""
    if actor.pk != person.pk and (
        reminder_mobile is not None
        or premises is None
        or not selectors.can_act_for(actor, person, premises)
    ):
        raise PermissionDenied
    uuid = normalise_uuid(uuid)
    try:
        validate_uuid(uuid)
    except ValidationError as error:
        raise ValidationError({"uuid": error.messages}) from None
    if reminder_mobile:
        try:
            reminder_mobile = normalise_uk_mobile(reminder_mobile)
        except ValidationError as error:
            raise ValidationError({"reminder_mobile": error.messages}) from None
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
    if reminder_mobile is not None:
        values["reminder_mobile"] = reminder_mobile
    if holder is None:
        holder = SmartcardHolder(user=person, **values)
        action, changes = "smartcard_holder.created", {k: str(v) for k, v in values.items()}
        if reminder_mobile is not None:
            changes["reminder_mobile"] = _mobile_said(reminder_mobile)
    else:
        changes = {
            name: [str(getattr(holder, name)), str(value)]
            for name, value in values.items()
            if getattr(holder, name) != value
        }
        if "reminder_mobile" in changes:
            changes["reminder_mobile"] = [
                _mobile_said(holder.reminder_mobile),
                _mobile_said(reminder_mobile, before=holder.reminder_mobile),
            ]
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


def smartcard_holder_view(*, actor: User, holder: SmartcardHolder) -> None:
    """Record that someone looked at a holder's profile (not the holder themselves): an
    audit event at the first premises of the holder the viewer may see."""
    if actor.pk == holder.user_id:
        return
    in_scope = selectors.holder_premises_in_scope(actor, holder)
    audit_record(
        actor=actor,
        action="smartcard_holder.viewed",
        obj=holder,
        premises=in_scope[0] if in_scope else None,
    )
