"""Roles and permissions, in one place.

A user's roles are not stored as a role column: they follow from what the user holds.
A current membership makes them staff at that premises (a manager if flagged), an
OrganisationAdmin row makes them head office for that group, an UnlockerCover row makes
them an unlocker for what it covers, and User.is_portal_admin makes them a portal admin
everywhere. `has_permission` is the one question views and services ask.
"""

import enum
from functools import cached_property

from django.db.models import IntegerField, Q, Value


class Role(enum.StrEnum):
    STAFF = "staff"
    PREMISES_MANAGER = "premises_manager"
    UNLOCKER = "unlocker"
    HEAD_OFFICE_ADMIN = "head_office_admin"
    PORTAL_ADMIN = "portal_admin"


class Permission(enum.StrEnum):
    VIEW_PREMISES = "view_premises"
    VIEW_STAFF = "view_staff"
    MANAGE_STAFF = "manage_staff"
    MANAGE_PREMISES = "manage_premises"
    VIEW_ORGANISATION = "view_organisation"
    MANAGE_ORGANISATIONS = "manage_organisations"
    MANAGE_UNLOCKER_COVER = "manage_unlocker_cover"
    VIEW_AUDIT = "view_audit"
    # The areas (DESIGN.md, Roles and access). A member editing their own NHSmail
    # account or raising a request for themselves is checked against the person, not
    # through these premises-wide permissions.
    VIEW_NHSMAIL = "view_nhsmail"
    MANAGE_NHSMAIL = "manage_nhsmail"
    RAISE_UNLOCK_REQUEST_FOR_STAFF = "raise_unlock_request_for_staff"
    WORK_UNLOCK_QUEUE = "work_unlock_queue"
    VIEW_HOLDER_PROFILE = "view_holder_profile"
    VIEW_TOKENS = "view_tokens"
    MANAGE_TOKENS = "manage_tokens"
    VIEW_COMPLIANCE = "view_compliance"
    VIEW_READINESS = "view_readiness"
    MANAGE_READINESS = "manage_readiness"
    EDIT_GUIDANCE = "edit_guidance"
    # The periodic jobs page and its "Run now" (portal admins only).
    MANAGE_JOBS = "manage_jobs"


ROLE_PERMISSIONS = {
    Role.STAFF: {Permission.VIEW_PREMISES, Permission.VIEW_NHSMAIL, Permission.VIEW_TOKENS},
    Role.PREMISES_MANAGER: {
        Permission.VIEW_PREMISES,
        Permission.VIEW_STAFF,
        Permission.MANAGE_STAFF,
        Permission.VIEW_AUDIT,
        Permission.VIEW_NHSMAIL,
        Permission.MANAGE_NHSMAIL,
        Permission.RAISE_UNLOCK_REQUEST_FOR_STAFF,
        Permission.VIEW_HOLDER_PROFILE,
        Permission.VIEW_TOKENS,
        Permission.MANAGE_TOKENS,
        Permission.VIEW_COMPLIANCE,
        Permission.VIEW_READINESS,
        Permission.MANAGE_READINESS,
    },
    Role.UNLOCKER: {
        Permission.VIEW_PREMISES,
        Permission.WORK_UNLOCK_QUEUE,
        Permission.VIEW_HOLDER_PROFILE,
    },
    Role.HEAD_OFFICE_ADMIN: {
        Permission.VIEW_PREMISES,
        Permission.VIEW_STAFF,
        Permission.MANAGE_STAFF,
        Permission.MANAGE_PREMISES,
        Permission.VIEW_ORGANISATION,
        Permission.VIEW_AUDIT,
        Permission.VIEW_NHSMAIL,
        Permission.MANAGE_NHSMAIL,
        Permission.VIEW_HOLDER_PROFILE,
        Permission.VIEW_TOKENS,
        Permission.MANAGE_TOKENS,
        Permission.VIEW_COMPLIANCE,
        Permission.VIEW_READINESS,
        Permission.MANAGE_READINESS,
    },
    Role.PORTAL_ADMIN: set(Permission),
}

# Roles whose holders must sign in with a second factor (DESIGN.md, Roles and access).
TWO_FACTOR_ROLES = {Role.UNLOCKER, Role.HEAD_OFFICE_ADMIN, Role.PORTAL_ADMIN}


def roles_granting(permission):
    return {role for role, perms in ROLE_PERMISSIONS.items() if permission in perms}


class UserScope:
    """What one user holds, worked out once per request (`scope_for`)."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def is_portal_admin(self):
        return bool(
            self.user.is_authenticated and self.user.is_active and self.user.is_portal_admin
        )

    @cached_property
    def _held(self):
        """Everything the user holds, in one query: (kind, premises_id, organisation_id,
        is_manager) rows, kind "m" for a current membership, "a" for an organisation they
        administer, "c" for unlocker cover (of a premises or of a whole organisation)."""
        if not self.user.is_authenticated:
            return []
        from .models import Membership, OrganisationAdmin, UnlockerCover

        none = Value(None, output_field=IntegerField())
        memberships = (
            Membership.objects.current()
            .filter(user_id=self.user.pk)
            .annotate(kind=Value("m"), no_organisation=none)
            .order_by()
            .values_list("kind", "premises_id", "no_organisation", "is_manager")
        )
        administered = (
            OrganisationAdmin.objects.filter(user_id=self.user.pk)
            .annotate(kind=Value("a"), no_premises=none, manager=Value(False))
            .order_by()
            .values_list("kind", "no_premises", "organisation_id", "manager")
        )
        covers = (
            UnlockerCover.objects.filter(unlocker_id=self.user.pk)
            .annotate(kind=Value("c"), manager=Value(False))
            .order_by()
            .values_list("kind", "premises_id", "organisation_id", "manager")
        )
        return list(memberships.union(administered, covers, all=True))

    @cached_property
    def _memberships(self):
        return [(premises, manager) for kind, premises, _, manager in self._held if kind == "m"]

    @cached_property
    def staff_premises_ids(self):
        return {premises_id for premises_id, _ in self._memberships}

    @cached_property
    def managed_premises_ids(self):
        return {premises_id for premises_id, manager in self._memberships if manager}

    @cached_property
    def admin_organisation_ids(self):
        return {organisation for kind, _, organisation, _ in self._held if kind == "a"}

    @cached_property
    def _covers(self):
        return [(premises, organisation) for kind, premises, organisation, _ in self._held
                if kind == "c"]  # fmt: skip

    @cached_property
    def covered_premises_ids(self):
        return {p for p, _ in self._covers if p is not None}

    @cached_property
    def covered_organisation_ids(self):
        return {o for _, o in self._covers if o is not None}

    @cached_property
    def roles(self):
        roles = set()
        if self.staff_premises_ids:
            roles.add(Role.STAFF)
        if self.managed_premises_ids:
            roles.add(Role.PREMISES_MANAGER)
        if self._covers:
            roles.add(Role.UNLOCKER)
        if self.admin_organisation_ids:
            roles.add(Role.HEAD_OFFICE_ADMIN)
        if self.is_portal_admin:
            roles.add(Role.PORTAL_ADMIN)
        return roles

    @property
    def needs_two_factor(self):
        return bool(self.roles & TWO_FACTOR_ROLES)

    def roles_at_premises(self, premises):
        if self.is_portal_admin:
            return {Role.PORTAL_ADMIN}
        roles = set()
        if premises.pk in self.staff_premises_ids:
            roles.add(Role.STAFF)
        if premises.pk in self.managed_premises_ids:
            roles.add(Role.PREMISES_MANAGER)
        if premises.organisation_id in self.admin_organisation_ids:
            roles.add(Role.HEAD_OFFICE_ADMIN)
        if (
            premises.pk in self.covered_premises_ids
            or premises.organisation_id in self.covered_organisation_ids
        ):
            roles.add(Role.UNLOCKER)
        return roles

    def roles_at_organisation(self, organisation):
        if self.is_portal_admin:
            return {Role.PORTAL_ADMIN}
        if organisation.pk in self.admin_organisation_ids:
            return {Role.HEAD_OFFICE_ADMIN}
        return set()

    def has_permission(self, permission, obj=None):
        from .models import Organisation, Premises

        if self.is_portal_admin:
            return True
        if not self.user.is_authenticated or not self.user.is_active:
            return False
        if obj is None:
            held = self.roles
        elif isinstance(obj, Premises):
            held = self.roles_at_premises(obj)
        elif isinstance(obj, Organisation):
            held = self.roles_at_organisation(obj)
        else:
            raise TypeError(f"has_permission does not know how to scope {type(obj).__name__}")
        return any(permission in ROLE_PERMISSIONS[role] for role in held)

    def premises_filter(self, permission, prefix=""):
        """A Q over Premises (or a model reaching it through `prefix`) for a permission.

        Built from the ids this scope already holds (the premises where the user works,
        manages or covers, and the organisations they run or cover), the same sets
        has_permission answers from: a few ids whatever the number of premises a head
        office holds, so a scoped query can use the premises and organisation indexes.
        """
        if self.is_portal_admin:
            return Q()
        if not self.user.is_authenticated or not self.user.is_active:
            return Q(pk__in=[])
        granting = roles_granting(permission)
        premises_ids, organisation_ids = set(), set()
        if Role.STAFF in granting:
            premises_ids |= self.staff_premises_ids
        if Role.PREMISES_MANAGER in granting:
            premises_ids |= self.managed_premises_ids
        if Role.HEAD_OFFICE_ADMIN in granting:
            organisation_ids |= self.admin_organisation_ids
        if Role.UNLOCKER in granting:
            premises_ids |= self.covered_premises_ids
            organisation_ids |= self.covered_organisation_ids
        pk = f"{prefix}pk" if prefix else "pk"
        org = f"{prefix}organisation_id" if prefix else "organisation_id"
        q = Q(pk__in=[])
        if premises_ids:
            q = Q(**{f"{pk}__in": sorted(premises_ids)})
        if organisation_ids:
            q = (
                (q | Q(**{f"{org}__in": sorted(organisation_ids)}))
                if premises_ids
                else Q(**{f"{org}__in": sorted(organisation_ids)})
            )
        return q


def scope_for(user):
    """The user's scope, cached on the user object for the length of a request."""
    scope = getattr(user, "_portal_scope", None)
    if scope is None:
        scope = UserScope(user)
        if user.is_authenticated:
            user._portal_scope = scope
    return scope


def has_permission(user, permission, obj=None):
    return scope_for(user).has_permission(permission, obj)
