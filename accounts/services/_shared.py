"""What the accounts services share: the permission check, and the standings a change
of staff or cover touches."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from .. import standings
from ..permissions import has_permission


def _require(user, permission, obj=None):
    if not has_permission(user, permission, obj):
        raise PermissionDenied


def _cover_changed(premises, organisation):
    # Unlocker cover is part of the smartcards standing of every premises it covers.
    ids = [premises.pk] if premises else organisation.premises.values_list("pk", flat=True)
    standings.refresh_on_commit(ids, areas=["smartcards"])


def _staff_changed(premises):
    # Who works where feeds every area's standing (NHSmail counts, cards, readiness).
    standings.refresh_on_commit([premises.pk])
