"""Reads. Every list a user sees comes from here, scoped to what that user may see.

Anything outside the scope is simply absent, so a view's get_object_or_404 answers 404
for another organisation's ids instead of revealing that they exist.
"""

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from . import standings
from .models import AuditEvent, Invitation, Membership, Organisation, Premises, UnlockerCover
from .permissions import ROLE_PERMISSIONS, Permission, Role, scope_for


def premises_for_user(user, permission=Permission.VIEW_PREMISES):
    scope = scope_for(user)
    return (
        Premises.objects.filter(scope.premises_filter(permission))
        .select_related("organisation", "region")
        .order_by("name")
    )


def premises_get(user, pk, permission=Permission.VIEW_PREMISES):
    return get_object_or_404(premises_for_user(user, permission), pk=pk)


def organisations_for_user(user, permission=Permission.VIEW_ORGANISATION):
    scope = scope_for(user)
    if scope.is_portal_admin:
        qs = Organisation.objects.all()
    elif permission in ROLE_PERMISSIONS[Role.HEAD_OFFICE_ADMIN]:
        qs = Organisation.objects.filter(pk__in=scope.admin_organisation_ids)
    else:
        qs = Organisation.objects.none()
    return qs.annotate(premises_count=Count("premises")).order_by("name")


def organisation_get(user, pk, permission=Permission.VIEW_ORGANISATION):
    return get_object_or_404(organisations_for_user(user, permission), pk=pk)


def staff_for_premises(user, premises):
    """Current memberships at a premises, for someone allowed to see its staff."""
    if not scope_for(user).has_permission(Permission.VIEW_STAFF, premises):
        return Membership.objects.none()
    return (
        Membership.objects.current()
        .filter(premises=premises)
        .select_related("user")
        .order_by("user__full_name")
    )


def membership_get(user, pk, permission=Permission.MANAGE_STAFF):
    scope = scope_for(user)
    return get_object_or_404(
        Membership.objects.filter(
            scope.premises_filter(permission, prefix="premises__")
        ).select_related("user", "premises", "premises__organisation"),
        pk=pk,
    )


def membership_end_effects(membership, on=None):
    """What ending a membership would do at its premises, area by area (NHSmail's
    two-person rule first): accounts.standings.LeavingEffect list, for the page that
    confirms the end."""
    return standings.leaving_effects(
        membership.premises, membership.user, on or timezone.localdate()
    )


def memberships_for_self(user):
    return (
        Membership.objects.current()
        .filter(user=user)
        .select_related("premises", "premises__organisation")
        .order_by("premises__name")
    )


def pending_invitations_for_premises(user, premises):
    if not scope_for(user).has_permission(Permission.VIEW_STAFF, premises):
        return Invitation.objects.none()
    return Invitation.objects.filter(
        premises=premises,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).order_by("email")


def unlocker_covers_for_user(user):
    return UnlockerCover.objects.filter(unlocker=user).select_related("premises", "organisation")


def audit_events_for_user(user):
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


def can_view_audit(user):
    scope = scope_for(user)
    return bool(
        scope.roles
        & {Role.PREMISES_MANAGER, Role.HEAD_OFFICE_ADMIN, Role.UNLOCKER, Role.PORTAL_ADMIN}
    )
