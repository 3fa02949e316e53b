"""Card details: recorded by the holder or their manager; profile views audited."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Membership

from .. import selectors
from ..models import SmartcardHolder
from ..validators import normalise_uuid, validate_uuid
from ._shared import _standing_changed


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
