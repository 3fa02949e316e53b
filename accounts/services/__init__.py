"""Writes. Each service checks permission, changes state, records the audit event and
queues side effects on commit. Views and tasks call these; they hold no rules.

Each raises PermissionDenied when the actor lacks the permission (accounts.permissions,
docs/decisions/0001-roles-follow-what-users-hold.md).

By topic:
- organisations: creating organisations and premises, editing a premises;
- invitations: inviting someone, and accepting an invitation;
- memberships: ending a membership, changing its role, head-office admins;
- cover: which local smartcard unlockers cover which premises.
"""

from .cover import unlocker_cover_add, unlocker_cover_remove
from .invitations import (
    InvitationUnusable,
    invitation_accept,
    invitation_create,
    invitation_for_token,
)
from .memberships import membership_change_role, membership_end, organisation_admin_add
from .organisations import PREMISES_FIELDS, organisation_create, premises_create, premises_update

__all__ = [
    "PREMISES_FIELDS",
    "InvitationUnusable",
    "invitation_accept",
    "invitation_create",
    "invitation_for_token",
    "membership_change_role",
    "membership_end",
    "organisation_admin_add",
    "organisation_create",
    "premises_create",
    "premises_update",
    "unlocker_cover_add",
    "unlocker_cover_remove",
]
