"""What a person may do with an EPS token order or the PCSE orderer list now, and if
not, why: in one place.

Orders move draft -> placed (on PCSE Online, with PCSE's reference) -> received, or from
draft or placed to cancelled (docs/decisions/0009-eps-pcse-reference.md). The actions:

- place: a draft only;
- set the expected delivery date, receive, chase with PCSE: a placed order only (a
  received order's tokens are already in the stock);
- cancel: a draft or a placed order.

Each needs the person to handle the premises' orders: MANAGE_TOKENS there (managers,
head office, portal admins), or VIEW_TOKENS and being one of the premises' PCSE orderers
while working there (docs/decisions/0010-eps-permissions.md; `selectors.can_handle_orders`).
Drafting an order needs only VIEW_TOKENS and has no state, so the services check it.

The PCSE orderer list: adding and removing people needs MANAGE_TOKENS at the premises.
How many orderers are enough is the EPS standing's rule (`eps.standing.MIN_ORDERERS`);
`orderer_cover` gives a page its words.

`check` answers one action with an `accounts.actions.Verdict`; `allowed` all of them for
the order page. The services enforce `check`; views and templates show `allowed`.
"""

import enum
from dataclasses import dataclass

from accounts.actions import Allowed, Verdict, allow, forbid, refuse
from accounts.permissions import Permission, has_permission

from . import selectors
from .models import TokenOrder
from .standing import MIN_ORDERERS

Status = TokenOrder.Status


class OrderAction(enum.StrEnum):
    """The actions on an order, in the order the order page offers them."""

    PLACE = "place"
    SET_EXPECTED_DELIVERY = "set_expected_delivery"
    RECEIVE = "receive"
    CHASE = "chase"
    CANCEL = "cancel"


def _fmt(day):
    return f"{day:%-d %B %Y}"


def _state(action, order):
    """The state part of the rule: None when the order's state allows the action."""
    status = order.status
    if action == OrderAction.PLACE:
        if status != Status.DRAFT:
            return refuse(
                action, f"This order is already {order.get_status_display().lower()}", "not_draft"
            )
    elif action == OrderAction.SET_EXPECTED_DELIVERY:
        if status != Status.PLACED:
            return refuse(
                action,
                "An expected delivery date can only be recorded for an order placed on PCSE Online",
                "not_placed",
            )
    elif action == OrderAction.RECEIVE:
        if status == Status.RECEIVED:
            return refuse(
                action,
                f"This order was already received on {_fmt(order.received_on)}. "
                "Its tokens are in the stock.",
                "received",
            )
        if status != Status.PLACED:
            return refuse(
                action,
                "Only an order placed on PCSE Online can be received. "
                f"This order is {order.get_status_display().lower()}.",
                "not_placed",
            )
    elif action == OrderAction.CHASE:
        if status != Status.PLACED:
            return refuse(
                action,
                "Only an order placed on PCSE Online and not yet received is chased",
                "not_placed",
            )
    elif action == OrderAction.CANCEL:
        if status == Status.RECEIVED:
            return refuse(
                action,
                "A received order cannot be cancelled: its tokens are in the stock. "
                "Record a stock count if the delivery was wrong.",
                "received",
            )
        if status == Status.CANCELLED:
            return refuse(action, "This order is already cancelled", "cancelled")
    return None


def _verdict(action, order, handles):
    if not handles:
        return forbid(action)
    refusal = _state(action, order)
    return allow(action) if refusal is None else refusal


def check(user, action: str, order: TokenOrder) -> Verdict:
    """May `user` take `action` (an OrderAction) on the order now? One query (whether the
    user is a PCSE orderer there) unless they manage the premises' tokens. Codes:
    not_permitted (does not handle this premises' orders), not_draft, not_placed,
    received, cancelled."""
    action = OrderAction(action)
    return _verdict(action, order, selectors.can_handle_orders(user, order.premises))


def allowed(user, order: TokenOrder) -> Allowed:
    """Every action's verdict on the order for `user`: what the order page offers."""
    handles = selectors.can_handle_orders(user, order.premises)
    return Allowed(_verdict(action, order, handles) for action in OrderAction)


class OrdererAction(enum.StrEnum):
    ADD = "add"
    REMOVE = "remove"


def check_orderers(user, action: str, premises) -> Verdict:
    """May `user` add people to, or remove them from, the premises' PCSE orderer list?"""
    action = OrdererAction(action)
    if not has_permission(user, Permission.MANAGE_TOKENS, premises):
        return forbid(action)
    return allow(action)


def allowed_orderers(user, premises) -> Allowed:
    return Allowed(check_orderers(user, action, premises) for action in OrdererAction)


_NUMBER_WORDS = {0: "Nobody", 1: "Only one person"}


def too_few_orderers(working: int, needed: int = MIN_ORDERERS) -> bool:
    """Fewer people who work at the premises now can order than the standing asks."""
    return working < needed


def orderers_heading(needed: int = MIN_ORDERERS) -> str:
    """ "Fewer than two people can order"."""
    return f"Fewer than {_in_words(needed)} people can order"


def orderers_who(working: int) -> str:
    """ "Nobody working here is recorded", "Only one person working here is recorded"
    (and "Only 2 people ..." should the standing ever ask for more)."""
    if working in _NUMBER_WORDS:
        return f"{_NUMBER_WORDS[working]} working here is recorded"
    return f"Only {working} people working here are recorded"


@dataclass(frozen=True)
class OrdererCover:
    """How many of the people linked to the PCSE Online account work at the premises
    now, against the `needed` the EPS standing asks for (MIN_ORDERERS). Its attributes
    hand off to the functions above."""

    working: int
    needed: int = MIN_ORDERERS

    @property
    def too_few(self) -> bool:
        return too_few_orderers(self.working, self.needed)

    @property
    def heading(self) -> str:
        return orderers_heading(self.needed)

    @property
    def who(self) -> str:
        return orderers_who(self.working)


def _in_words(number):
    words = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}
    return words.get(number, str(number))


def orderer_cover(orderers) -> OrdererCover:
    """The cover of a premises' orderers (from selectors.pcse_orderers_for_premises,
    each annotated `works_here`)."""
    return OrdererCover(working=sum(1 for orderer in orderers if orderer.works_here))
