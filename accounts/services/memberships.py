"""Memberships: ending one, changing its role, and head-office admins."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction

from ..audit import audit_record
from ..models import Membership, Organisation, OrganisationAdmin, User
from ..permissions import Permission
from ._shared import _require, _staff_changed

if TYPE_CHECKING:
    from datetime import date


@transaction.atomic
def membership_end(*, actor: User, membership: Membership, end_date: date) -> Membership:
    """End a membership on `end_date`, the first day the person no longer works there
    (docs/decisions/0002-memberships-and-invitations.md); audit it and refresh the
    premises' standings on commit. Never blocked by what it does to a standing
    (docs/decisions/0029-memberships-ending.md).

    Raises PermissionDenied without Permission.MANAGE_STAFF there, and ValidationError
    ({"end_date": ...}) when it already ended or the date is before its start.
    """
    _require(actor, Permission.MANAGE_STAFF, membership.premises)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.end_date is not None:
        raise ValidationError(
            {"end_date": f"This membership already ended on {membership.end_date:%-d %B %Y}"}
        )
    if end_date < membership.start_date:
        start = membership.start_date
        raise ValidationError(
            {"end_date": f"The end date must be on or after the start date, {start:%-d %B %Y}"}
        )
    membership.end_date = end_date
    membership.save(update_fields=["end_date"])
    audit_record(
        actor=actor,
        action="membership.ended",
        obj=membership,
        premises=membership.premises,
        changes={"user": membership.user.email, "end_date": end_date.isoformat()},
    )
    _staff_changed(membership.premises)
    return membership


@transaction.atomic
def membership_change_role(
    *, actor: User, membership: Membership, job_role: str, is_manager: bool
) -> Membership:
    """Set a membership's job role (a Membership.JobRole value) and manager flag, auditing
    {field: [old, new]} and refreshing standings; unchanged when nothing differs. Raises
    PermissionDenied without Permission.MANAGE_STAFF there."""
    _require(actor, Permission.MANAGE_STAFF, membership.premises)
    changes = {}
    if membership.job_role != job_role:
        changes["job_role"] = [membership.job_role, job_role]
    if membership.is_manager != is_manager:
        changes["is_manager"] = [membership.is_manager, is_manager]
    if not changes:
        return membership
    membership.job_role = job_role
    membership.is_manager = is_manager
    membership.save(update_fields=["job_role", "is_manager"])
    audit_record(
        actor=actor,
        action="membership.role_changed",
        obj=membership,
        premises=membership.premises,
        changes=changes,
    )
    _staff_changed(membership.premises)
    return membership


@transaction.atomic
def organisation_admin_add(
    *, actor: User, organisation: Organisation, user: User
) -> OrganisationAdmin:
    """Make the user a head-office admin of the organisation (audited once; the existing
    row when they already are). Raises PermissionDenied without
    Permission.MANAGE_ORGANISATIONS."""
    _require(actor, Permission.MANAGE_ORGANISATIONS)
    admin, created = OrganisationAdmin.objects.get_or_create(organisation=organisation, user=user)
    if created:
        audit_record(
            actor=actor,
            action="organisation_admin.added",
            obj=admin,
            organisation=organisation,
            changes={"user": user.email},
        )
    return admin
