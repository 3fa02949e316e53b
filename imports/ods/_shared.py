"""What the reconciliation's steps share: who may run them, the row actions and
statuses, the batch size."""

from django.core.exceptions import PermissionDenied

from accounts.permissions import Permission, has_permission

from ..models import OdsReconciliation, OdsRow

Action = OdsRow.Action
Status = OdsReconciliation.Status
BATCH = 2000


def _require(actor):
    # Premises across every organisation: portal admins only.
    if not has_permission(actor, Permission.MANAGE_ORGANISATIONS):
        raise PermissionDenied
