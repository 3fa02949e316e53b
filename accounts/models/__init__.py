"""The accounts tables, by topic:

- users: User and its manager (sign-in by email, any case), short names;
- organisations: ICB areas (Region), organisations and their premises;
- memberships: who works where in which role, head-office admins, unlocker cover;
- invitations: invitations and their hashed tokens;
- events: the append-only audit trail, and notifications sent once only;
- standings: the stored standings, their daily history and tallies.

Every model is imported here, so Django finds them and `from accounts.models import X`
reads as before.
"""

from .events import AuditEvent, SentNotification
from .invitations import Invitation, hash_invitation_token
from .memberships import Membership, MembershipQuerySet, OrganisationAdmin, UnlockerCover
from .organisations import Organisation, Premises, Region
from .standings import PremisesStanding, StandingDay, StandingLevel, StandingTally
from .users import User, UserManager, short_name

__all__ = [
    "AuditEvent",
    "Invitation",
    "Membership",
    "MembershipQuerySet",
    "Organisation",
    "OrganisationAdmin",
    "Premises",
    "PremisesStanding",
    "Region",
    "SentNotification",
    "StandingDay",
    "StandingLevel",
    "StandingTally",
    "UnlockerCover",
    "User",
    "UserManager",
    "hash_invitation_token",
    "short_name",
]
