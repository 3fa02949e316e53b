"""Token orders as one person sees them, for templates.

What may be done comes from `eps.actions` alone; this arranges it and names the order's
state for a page, so no template compares an order's status.
"""

from . import actions
from .models import TokenOrder

Status = TokenOrder.Status


class OrderPresenter:
    """One order for one viewer.

    `actions`: an accounts.actions.Allowed (`actions.place`, `actions.receive`,
    `actions.chase`, `actions.set_expected_delivery`, `actions.cancel`); `is_draft`,
    `is_placed`, `is_received`, `is_cancelled`: the order's state, for what the page
    says; `shows_expected_delivery`: a placed order, or one that had a date;
    `awaits_someone_else`: a draft the viewer cannot place.
    """

    def __init__(self, order: TokenOrder, user):
        self.order = order
        self.actions = actions.allowed(user, order)

    @property
    def is_draft(self) -> bool:
        return self.order.status == Status.DRAFT

    @property
    def is_placed(self) -> bool:
        return self.order.status == Status.PLACED

    @property
    def is_received(self) -> bool:
        return self.order.status == Status.RECEIVED

    @property
    def is_cancelled(self) -> bool:
        return self.order.status == Status.CANCELLED

    @property
    def shows_expected_delivery(self) -> bool:
        return self.is_placed or self.order.expected_delivery_on is not None

    @property
    def awaits_someone_else(self) -> bool:
        return self.is_draft and not self.actions.place
