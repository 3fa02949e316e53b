"""Organisations and their premises: creating them, and editing a premises' details."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from .. import standings
from ..audit import audit_record
from ..models import Organisation, Premises, User
from ..permissions import Permission
from ..validators import normalise_ods_code, normalise_postcode
from ._shared import _require


@transaction.atomic
def organisation_create(*, actor: User, name: str, kind: str) -> Organisation:
    """Create an organisation (kind: an Organisation.Kind value), name trimmed, and audit
    it. Portal admins only (Permission.MANAGE_ORGANISATIONS): PermissionDenied otherwise."""
    _require(actor, Permission.MANAGE_ORGANISATIONS)
    organisation = Organisation.objects.create(name=name.strip(), kind=kind)
    audit_record(
        actor=actor,
        action="organisation.created",
        obj=organisation,
        organisation=organisation,
        changes={"name": organisation.name, "kind": kind},
    )
    return organisation


PREMISES_FIELDS = (
    "ods_code",
    "name",
    "address_line_1",
    "address_line_2",
    "town",
    "postcode",
    "region",
)


def _clean_premises_fields(fields):
    cleaned = dict(fields)
    if "ods_code" in cleaned:
        cleaned["ods_code"] = normalise_ods_code(cleaned["ods_code"])
    if "postcode" in cleaned:
        cleaned["postcode"] = normalise_postcode(cleaned["postcode"])
    return cleaned


@transaction.atomic
def premises_create(*, actor: User, organisation: Organisation, **fields: object) -> Premises:
    """Register a premises of the organisation from PREMISES_FIELDS (ODS code and postcode
    normalised), audit it and work out its standings on commit.

    Raises PermissionDenied without Permission.MANAGE_PREMISES on the organisation, and
    ValidationError for an ODS code already registered or a field the model refuses.
    """
    _require(actor, Permission.MANAGE_PREMISES, organisation)
    fields = _clean_premises_fields(fields)
    if Premises.objects.filter(ods_code=fields["ods_code"]).exists():
        raise ValidationError({"ods_code": "A premises with this ODS code is already registered"})
    premises = Premises(organisation=organisation, **fields)
    premises.full_clean()
    premises.save()
    audit_record(
        actor=actor,
        action="premises.created",
        obj=premises,
        premises=premises,
        changes={k: str(v) for k, v in fields.items()},
    )
    standings.refresh_on_commit([premises.pk])
    return premises


@transaction.atomic
def premises_update(*, actor: User, premises: Premises, **fields: object) -> Premises:
    """Change PREMISES_FIELDS of a premises, auditing {field: [old, new]}; the premises as
    it was when nothing changes. A new region refreshes its standings (the ICB trend).

    Raises PermissionDenied without Permission.MANAGE_PREMISES there, and ValidationError
    for an ODS code another premises holds or a field the model refuses.
    """
    _require(actor, Permission.MANAGE_PREMISES, premises)
    fields = _clean_premises_fields(fields)
    if (
        "ods_code" in fields
        and Premises.objects.filter(ods_code=fields["ods_code"]).exclude(pk=premises.pk).exists()
    ):
        raise ValidationError({"ods_code": "A premises with this ODS code is already registered"})
    changes = {}
    for name, value in fields.items():
        old = getattr(premises, name)
        if old != value:
            changes[name] = [str(old), str(value)]
            setattr(premises, name, value)
    if not changes:
        return premises
    premises.full_clean()
    premises.save()
    audit_record(
        actor=actor, action="premises.updated", obj=premises, premises=premises, changes=changes
    )
    if "region" in changes:
        # Today's trend counts the premises in its new ICB area.
        standings.refresh_on_commit([premises.pk])
    return premises
