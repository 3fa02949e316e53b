"""Token orders: who sees them, who may handle them, their chases with PCSE."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.models import Premises
from accounts.permissions import Permission, has_permission, scope_for

from ..models import OrderEscalation, TokenOrder
from .orderers import is_pcse_orderer

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from accounts.models import User


def orders_for_user(
    user: User, permission: Permission = Permission.VIEW_TOKENS
) -> QuerySet[TokenOrder]:
    """Token orders at premises where the user holds `permission`, with premises,
    organisation, requester and placer joined."""
    scope = scope_for(user)
    return TokenOrder.objects.filter(
        scope.premises_filter(permission, prefix="premises__")
    ).select_related("premises", "premises__organisation", "requested_by", "placed_by")


def premises_orders(
    user: User, premises: Premises, closed_limit: int = 5
) -> tuple[list[TokenOrder], list[TokenOrder]]:
    """(open, closed) orders of the premises the user may see, newest first: every order
    still open (TokenOrder.OPEN_STATUSES: draft or placed), and the last `closed_limit`
    received or cancelled ones. One query."""
    orders = orders_for_user(user).filter(premises=premises)
    is_open = Q(status__in=TokenOrder.OPEN_STATUSES)
    recent_closed = orders.exclude(is_open).values("pk")[:closed_limit]
    both = list(orders.filter(is_open | Q(pk__in=recent_closed)))
    open_orders = [order for order in both if order.status in TokenOrder.OPEN_STATUSES]
    return open_orders, [order for order in both if order.status not in TokenOrder.OPEN_STATUSES]


def order_get(user: User, pk: int) -> TokenOrder:
    """One order from orders_for_user. Raises Http404 for one out of the user's sight."""
    return get_object_or_404(orders_for_user(user), pk=pk)


def can_handle_orders(user: User, premises: Premises) -> bool:
    """Managers, head office and admins; and staff linked to the premises' PCSE Online
    account, who are the people placing the orders (docs/decisions/0010-eps-permissions.md)."""
    if has_permission(user, Permission.MANAGE_TOKENS, premises):
        return True
    return has_permission(user, Permission.VIEW_TOKENS, premises) and is_pcse_orderer(
        user, premises
    )


def order_get_for_handling(user: User, pk: int) -> TokenOrder:
    """An order the user may place, receive, cancel or chase (can_handle_orders). Raises
    Http404 for anything else."""
    order = order_get(user, pk)
    if not can_handle_orders(user, order.premises):
        raise Http404
    return order


def escalations_for_order(order: TokenOrder) -> QuerySet[OrderEscalation]:
    """The chases of an order with PCSE, newest first, with who chased joined. The
    caller has fetched the order through a scoped selector."""
    return OrderEscalation.objects.filter(order=order).select_related("escalated_by")
