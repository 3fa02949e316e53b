"""Staff readiness for SCR and NCRS: access, training and declarations recorded."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import standings
from accounts.audit import audit_record
from accounts.models import Membership, User
from accounts.permissions import Permission

from ..models import GphcRegistration, ReadinessRecord, ScrRole
from ..readiness import is_eligible, not_eligible_reason
from ..selectors import AREA
from ..validators import normalise_gphc_number, validate_gphc_number
from ._shared import _audit_value, _check_training_date, _require


@transaction.atomic
def readiness_record(
    *,
    actor: User,
    membership: Membership,
    gphc_number: str,
    is_trainee: bool,
    scr_role: str,
    cppe_training_on: datetime.date | None,
) -> ReadinessRecord:
    """Record and confirm a person's SCR/NCRS readiness at one premises
    (docs/decisions/0019-records-readiness.md): GPhC number (the person's, so it counts
    at every premises they work at; blank removes it), trainee flag, SCR role (a ScrRole
    value) and CPPE training date.

    Saving without a change still counts: it confirms the record, as of now, by the actor.
    Raises PermissionDenied without Permission.MANAGE_READINESS at its premises, and
    ValidationError by field for a bad or taken GPhC number, a role or trainee flag the
    job role cannot hold, or a training date in the future or too early."""
    _require(actor, Permission.MANAGE_READINESS, membership.premises)
    today = timezone.localdate()
    number = normalise_gphc_number(gphc_number)
    errors = {}
    if number:
        try:
            validate_gphc_number(number)
        except ValidationError as error:
            errors["gphc_number"] = error.messages
        else:
            taken = (
                GphcRegistration.objects.filter(number=number)
                .exclude(user_id=membership.user_id)
                .exists()
            )
            if taken:
                errors["gphc_number"] = (
                    "This GPhC number is already recorded for someone else. Check the number."
                )
    if scr_role not in ScrRole.values:
        errors["scr_role"] = "Choose whether their smartcard carries the SCR role"
    elif scr_role != ScrRole.NONE and not is_eligible(membership.job_role):
        errors["scr_role"] = not_eligible_reason(membership.job_role)
    if is_trainee and not is_eligible(membership.job_role):
        errors["is_trainee"] = (
            "Only trainee pharmacists and trainee pharmacy technicians can be marked as "
            "trainees here. Change their job role first if it is wrong."
        )
    errors.update(_check_training_date(cppe_training_on, "cppe_training_on", today=today) or {})
    if errors:
        raise ValidationError(errors)

    now = timezone.now()
    changes = {}
    registration = (
        GphcRegistration.objects.select_for_update().filter(user_id=membership.user_id).first()
    )
    old_number = registration.number if registration else ""
    if number != old_number:
        changes["gphc_number"] = [old_number, number]
        if not number:
            registration.delete()
        elif registration is None:
            try:
                with transaction.atomic():
                    GphcRegistration.objects.create(
                        user_id=membership.user_id, number=number, updated_at=now, updated_by=actor
                    )
            except IntegrityError as exc:
                raise ValidationError(
                    {
                        "gphc_number": (
                            "This GPhC number is already recorded for someone else. "
                            "Check the number."
                        )
                    }
                ) from exc
        else:
            registration.number = number
            registration.updated_at = now
            registration.updated_by = actor
            registration.save()

    record, _ = ReadinessRecord.objects.select_for_update().get_or_create(
        membership=membership, defaults={"updated_at": now, "updated_by": actor}
    )
    new_values = {
        "is_trainee": bool(is_trainee),
        "scr_role": scr_role,
        "cppe_training_on": cppe_training_on,
    }
    for name, value in new_values.items():
        old = getattr(record, name)
        if old != value:
            changes[name] = [_audit_value(old), _audit_value(value)]
            setattr(record, name, value)
    record.updated_at = now
    record.updated_by = actor
    record.save()
    audit_record(
        actor=actor,
        action="scr_readiness.updated" if changes else "scr_readiness.confirmed",
        obj=record,
        premises=membership.premises,
        changes={"person": membership.user.email, **changes},
    )
    # A GPhC number belongs to the person, so it counts at every premises they work at.
    works_at = Membership.objects.current().filter(user_id=membership.user_id)
    standings.refresh_on_commit(
        {membership.premises_id, *works_at.values_list("premises_id", flat=True)}, areas=[AREA]
    )
    return record
