"""Reads. Every list a user sees comes from here, scoped to what that user may see.

Anything outside the scope is simply absent, so a view's get_object_or_404 answers 404
for another organisation's ids instead of revealing that they exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from . import standings
from .models import (
    AuditEvent,
    Invitation,
    Membership,
    Organisation,
    Premises,
    Region,
    UnlockerCover,
    User,
)
from .permissions import ROLE_PERMISSIONS, Permission, Role, scope_for

if TYPE_CHECKING:
    from datetime import date

    from django.db.models import QuerySet


def premises_for_user(
    user: User, permission: Permission = Permission.VIEW_PREMISES
) -> QuerySet[Premises]:
    """The premises where the user holds `permission` (accounts.permissions), by name,
    with organisation and region joined; empty for someone who holds it nowhere."""
    scope = scope_for(user)
    return (
        Premises.objects.filter(scope.premises_filter(permission))
        .select_related("organisation", "region")
        .order_by("name")
    )


def premises_get(
    user: User, pk: int, permission: Permission = Permission.VIEW_PREMISES
) -> Premises:
    """One premises from premises_for_user. Raises Http404 (get_object_or_404) for one
    outside the user's scope, so ids cannot be probed."""
    return get_object_or_404(premises_for_user(user, permission), pk=pk)


def organisations_for_user(
    user: User, permission: Permission = Permission.VIEW_ORGANISATION
) -> QuerySet[Organisation]:
    """Every organisation for a portal admin, the groups they run for a head-office admin
    holding `permission`, none otherwise; by name, annotated premises_count (int)."""
    scope = scope_for(user)
    if scope.is_portal_admin:
        qs = Organisation.objects.all()
    elif permission in ROLE_PERMISSIONS[Role.HEAD_OFFICE_ADMIN]:
        qs = Organisation.objects.filter(pk__in=scope.admin_organisation_ids)
    else:
        qs = Organisation.objects.none()
    return qs.annotate(premises_count=Count("premises")).order_by("name")


def organisation_get(
    user: User, pk: int, permission: Permission = Permission.VIEW_ORGANISATION
) -> Organisation:
    """One organisation from organisations_for_user. Raises Http404 (get_object_or_404)
    for one outside the user's scope."""
    return get_object_or_404(organisations_for_user(user, permission), pk=pk)


def staff_for_premises(user: User, premises: Premises) -> QuerySet[Membership]:
    """Current memberships at a premises, by the person's name with the user joined, for
    someone allowed to see its staff (Permission.VIEW_STAFF there); none for anyone else."""
    if not scope_for(user).has_permission(Permission.VIEW_STAFF, premises):
        return Membership.objects.none()
    return (
        Membership.objects.current()
        .filter(premises=premises)
        .select_related("user")
        .order_by("user__full_name")
    )


def users_of(memberships: QuerySet[Membership]) -> QuerySet[User]:
    """The people of a membership queryset, once each, by name: a form's choices (the
    staff a premises' PCSE orderer list may add, for example)."""
    return User.objects.filter(pk__in=memberships.values("user_id")).order_by("full_name")


def regions() -> QuerySet[Region]:
    """Every ICB area, by name: the choices of the premises form."""
    return Region.objects.order_by("name")


def membership_get(
    user: User, pk: int, permission: Permission = Permission.MANAGE_STAFF
) -> Membership:
    """One membership (current or ended) at a premises where the user holds `permission`,
    with user, premises and organisation joined. Raises Http404 (get_object_or_404)
    otherwise."""
    scope = scope_for(user)
    return get_object_or_404(
        Membership.objects.filter(
            scope.premises_filter(permission, prefix="premises__")
        ).select_related("user", "premises", "premises__organisation"),
        pk=pk,
    )


def membership_end_effects(
    membership: Membership, on: date | None = None
) -> list[standings.LeavingEffect]:
    """What ending a membership would do at its premises, area by area (NHSmail's
    two-person rule first): accounts.standings.LeavingEffect list, for the page that
    confirms the end. `on` is the day it ends, today when None."""
    return standings.leaving_effects(
        membership.premises, membership.user, on or timezone.localdate()
    )


def memberships_for_self(user: User) -> QuerySet[Membership]:
    """The user's own current memberships, by premises name, with premises and
    organisation joined."""
    return (
        Membership.objects.current()
        .filter(user=user)
        .select_related("premises", "premises__organisation")
        .order_by("premises__name")
    )


@dataclass(frozen=True)
class PremisesInArea:
    """A premises with its stored standing in one area (None when it has none: a closed
    premises)."""

    premises: Premises
    standing: standings.StoredStanding | None


@dataclass(frozen=True)
class Holdings:
    """What a user holds, read once for a page that shows several areas (the home page):
    their current memberships (premises and organisation joined, by premises name), the
    stored standings of those premises in every area, made current, and the
    organisations they run (by name, annotated premises_count). Each area picks its part
    with in_area."""

    memberships: list[Membership] = field(default_factory=list)
    stored: dict[int, dict[str, standings.StoredStanding]] = field(default_factory=dict)
    organisations: list[Organisation] = field(default_factory=list)

    @property
    def premises(self) -> list[Premises]:
        """Each premises the user works at, once, by name."""
        return list({m.premises_id: m.premises for m in self.memberships}.values())

    def in_area(self, area_key: str, *, managed: bool = False) -> list[PremisesInArea]:
        """The user's premises (those they manage when `managed`), by name, each with its
        stored standing in the area: no query."""
        managed_ids = {m.premises_id for m in self.memberships if m.is_manager}
        return [
            PremisesInArea(premises, self.stored.get(premises.pk, {}).get(area_key))
            for premises in self.premises
            if not managed or premises.pk in managed_ids
        ]


def holdings_for_self(user: User) -> Holdings:
    """The user's Holdings: one query for their memberships and one for every area's
    stored standings of those premises when they work somewhere (accounts.standings.
    current_standings, repairing first what needs it), one for the organisations they
    run when they run any; nothing else (their scope already knows what they hold)."""
    scope = scope_for(user)
    memberships = list(memberships_for_self(user)) if scope.staff_premises_ids else []
    organisations = []
    if scope.admin_organisation_ids:
        organisations = list(
            Organisation.objects.filter(pk__in=scope.admin_organisation_ids)
            .annotate(premises_count=Count("premises"))
            .order_by("name")
        )
    return Holdings(
        memberships=memberships,
        stored=standings.current_standings({m.premises_id for m in memberships})
        if memberships
        else {},
        organisations=organisations,
    )


def pending_invitations_for_premises(user: User, premises: Premises) -> QuerySet[Invitation]:
    """Invitations to the premises not yet accepted, withdrawn or expired, by email, for
    someone allowed to see its staff (Permission.VIEW_STAFF there); none otherwise."""
    if not scope_for(user).has_permission(Permission.VIEW_STAFF, premises):
        return Invitation.objects.none()
    return Invitation.objects.filter(
        premises=premises,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).order_by("email")


def unlocker_covers_for_user(user: User) -> QuerySet[UnlockerCover]:
    """The unlocker cover rows the user holds (each one premises or one organisation),
    with premises and organisation joined; no query for someone who holds none (their
    scope already knows)."""
    if Role.UNLOCKER not in scope_for(user).roles:
        return UnlockerCover.objects.none()
    return UnlockerCover.objects.filter(unlocker=user).select_related("premises", "organisation")


def audit_events_for_user(user: User) -> QuerySet[AuditEvent]:
    """Audit events in the user's scope (DESIGN.md: audit trail row of the roles table).

    Managers see their premises, head office their group, unlockers their own actions,
    portal admins everything. Staff see none.
    """
    scope = scope_for(user)
    events = AuditEvent.objects.select_related("premises")
    if scope.is_portal_admin:
        return events
    q = Q(pk__in=[])
    if scope.managed_premises_ids:
        q |= Q(premises_id__in=scope.managed_premises_ids)
    if scope.admin_organisation_ids:
        q |= Q(organisation_id__in=scope.admin_organisation_ids)
    if Role.UNLOCKER in scope.roles:
        q |= Q(actor=user)
    return events.filter(q)


def can_view_audit(user: User) -> bool:
    """Whether the audit trail page is for the user: premises managers, head-office admins,
    unlockers and portal admins (DESIGN.md, Roles and access); not staff alone."""
    scope = scope_for(user)
    return bool(
        scope.roles
        & {Role.PREMISES_MANAGER, Role.HEAD_OFFICE_ADMIN, Role.UNLOCKER, Role.PORTAL_ADMIN}
    )
