"""The people linked to a premises' PCSE Online account, and who could be."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404

from accounts.models import Membership, Premises
from accounts.permissions import Permission, has_permission, scope_for

from ..models import PcseOrderer

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.db.models import QuerySet

    from accounts.models import User


def is_pcse_orderer(
    user: User | AnonymousUser, premises: Premises, *, today: date | None = None
) -> bool:
    """Whether the user works at the premises on `today` (today when None) and is linked to
    its PCSE Online account; False when not signed in."""
    if not user.is_authenticated:
        return False
    return (
        Membership.objects.current(today)
        .filter(premises=premises, user=user, user__pcse_orderer_links__premises=premises)
        .exists()
    )


def pcse_orderers_for_premises(
    user: User, premises: Premises, *, today: date | None = None
) -> QuerySet[PcseOrderer]:
    """The people linked to the premises' PCSE account, with user and adder joined, each
    annotated `works_here` (bool: still works there on `today`; only those count towards
    the two the guidance asks for, docs/decisions/0008-eps-pcse-contacts.md); none for
    someone who may not view its tokens."""
    if not has_permission(user, Permission.VIEW_TOKENS, premises):
        return PcseOrderer.objects.none()
    current = Membership.objects.current(today).filter(user=OuterRef("user"), premises=premises)
    return (
        PcseOrderer.objects.filter(premises=premises)
        .select_related("user", "added_by")
        .annotate(works_here=Exists(current))
    )


def pcse_orderer_get(user: User, pk: int) -> PcseOrderer:
    """One PCSE orderer link at a premises where the user may manage tokens, with user,
    premises and organisation joined. Raises Http404 otherwise."""
    scope = scope_for(user)
    return get_object_or_404(
        PcseOrderer.objects.filter(
            scope.premises_filter(Permission.MANAGE_TOKENS, prefix="premises__")
        ).select_related("user", "premises", "premises__organisation"),
        pk=pk,
    )


def staff_who_could_order(premises: Premises, *, today: date | None = None) -> QuerySet[Membership]:
    """Current staff at the premises (on `today`, today when None) not yet linked to its
    PCSE account, by name with user joined: the add-orderer form's choices."""
    return (
        Membership.objects.current(today)
        .filter(premises=premises)
        .exclude(user__pcse_orderer_links__premises=premises)
        .select_related("user")
        .order_by("user__full_name")
    )
