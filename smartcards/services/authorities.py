"""Registration Authorities: contact details per ICB area, kept by portal admins."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.audit import audit_record
from accounts.permissions import Permission

from ..models import RegistrationAuthority
from ..validators import validate_no_passcode, validate_phone
from ._shared import _require

if TYPE_CHECKING:
    from accounts.models import Region, User

AUTHORITY_FIELDS = ("name", "main_phone", "local_phone", "email", "notes")


@transaction.atomic
def registration_authority_save(
    *, actor: User, region: Region, **fields: str
) -> RegistrationAuthority:
    """Create or change the Registration Authority contact of an ICB area from
    AUTHORITY_FIELDS, trimmed; audited, unchanged when nothing differs
    (docs/decisions/0020-smartcards-contacts-and-cover.md).

    Raises PermissionDenied without Permission.MANAGE_UNLOCKER_COVER, and ValidationError
    by field for a missing name or main phone, a bad phone number, or a passcode in the
    name or notes."""
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
