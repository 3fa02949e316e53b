"""The premises' SCR governance person."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import User

from ..models import ScrGovernancePerson
from ..selectors import can_manage_governance, person_works_for_organisation
from ._shared import _audit_value, _check_training_date

if TYPE_CHECKING:
    from accounts.models import Organisation


@transaction.atomic
def scr_governance_person_set(
    *, actor: User, organisation: Organisation, user: User | None, trained_on: datetime.date | None
) -> ScrGovernancePerson:
    """Record (or confirm) the organisation's SCR governance person and their training
    date; audited either way. Raises PermissionDenied unless the actor may manage its
    governance (can_manage_governance), and ValidationError ({"email": ...} for someone
    who does not work for it, or None; {"trained_on": ...}) otherwise."""
    if not can_manage_governance(actor, organisation):
        raise PermissionDenied
    today = timezone.localdate()
    errors = {}
    if user is None or not person_works_for_organisation(user, organisation, today=today):
        errors["email"] = (
            f"No one with this email address works for {organisation.name}. The SGP must "
            "be a member of staff or a head-office admin of the organisation."
        )
    errors.update(_check_training_date(trained_on, "trained_on", today=today) or {})
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    sgp = ScrGovernancePerson.objects.select_for_update().filter(organisation=organisation).first()
    changes = {}
    if sgp is None:
        sgp = ScrGovernancePerson(organisation=organisation, user=user, trained_on=trained_on)
        changes = {"person": user.email, "trained_on": _audit_value(trained_on)}
    else:
        if sgp.user_id != user.pk:
            changes["person"] = [sgp.user.email, user.email]
            sgp.user = user
        if sgp.trained_on != trained_on:
            changes["trained_on"] = [_audit_value(sgp.trained_on), _audit_value(trained_on)]
            sgp.trained_on = trained_on
    sgp.updated_at = now
    sgp.updated_by = actor
    sgp.save()
    audit_record(
        actor=actor,
        action="scr_governance_person.set" if changes else "scr_governance_person.confirmed",
        obj=sgp,
        organisation=organisation,
        changes=changes,
    )
    return sgp
