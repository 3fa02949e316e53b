"""Unlocker cover: which local smartcard unlockers cover which premises."""

from __future__ import annotations

from django.db import transaction

from ..audit import audit_record
from ..models import Organisation, Premises, UnlockerCover, User
from ..permissions import Permission
from ._shared import _cover_changed, _require


@transaction.atomic
def unlocker_cover_add(
    *,
    actor: User,
    unlocker: User,
    premises: Premises | None = None,
    organisation: Organisation | None = None,
) -> UnlockerCover:
    """Let the unlocker work the queue of one premises or of every premises of one
    organisation (audited once; the existing row when already held); refreshes the
    smartcards standing of what it covers.

    Raises ValueError unless exactly one of premises and organisation is given, and
    PermissionDenied without Permission.MANAGE_UNLOCKER_COVER.
    """
    if (premises is None) == (organisation is None):
        raise ValueError("Cover is for one premises or one organisation")
    _require(actor, Permission.MANAGE_UNLOCKER_COVER)
    cover, created = UnlockerCover.objects.get_or_create(
        unlocker=unlocker, premises=premises, organisation=organisation
    )
    if created:
        audit_record(
            actor=actor,
            action="unlocker_cover.added",
            obj=cover,
            premises=premises,
            organisation=organisation or (premises.organisation if premises else None),
            changes={"unlocker": unlocker.email},
        )
        _cover_changed(premises, organisation)
    return cover


@transaction.atomic
def unlocker_cover_remove(*, actor: User, cover: UnlockerCover) -> None:
    """Delete an unlocker cover row, audited, refreshing the smartcards standing of what
    it covered. Raises PermissionDenied without Permission.MANAGE_UNLOCKER_COVER."""
    _require(actor, Permission.MANAGE_UNLOCKER_COVER)
    audit_record(
        actor=actor,
        action="unlocker_cover.removed",
        obj=cover,
        premises=cover.premises,
        organisation=cover.organisation
        or (cover.premises.organisation if cover.premises else None),
        changes={"unlocker": cover.unlocker.email},
    )
    _cover_changed(cover.premises, cover.organisation)
    cover.delete()
