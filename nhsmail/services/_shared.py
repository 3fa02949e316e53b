"""What the NHSmail services share: the area, permission checks, the standing refresh."""

from django.core.exceptions import PermissionDenied

from accounts import standings
from accounts.models import Membership
from accounts.permissions import has_permission

AREA = "nhsmail"


def _require(user, permission, obj):
    if not has_permission(user, permission, obj):
        raise PermissionDenied


def _refresh_on_commit(premises_ids):
    standings.refresh_on_commit(premises_ids, areas=[AREA])


def _current_premises_ids(user):
    return set(Membership.objects.current().filter(user=user).values_list("premises_id", flat=True))
