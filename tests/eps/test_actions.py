"""Who may do what with a token order and the PCSE orderer list, in which state, and why
not (eps/actions.py); the services refuse exactly what it refuses, in its words; the
order and orderer pages offer exactly what it allows."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.actions import NOT_PERMITTED
from eps import actions, services
from eps.actions import OrderAction, OrdererCover, orderer_cover
from eps.models import TokenOrder
from eps.standing import MIN_ORDERERS
from tests.conftest import sign_in
from tests.eps.factories import PcseOrdererFactory, TokenOrderFactory

pytestmark = pytest.mark.django_db
Status = TokenOrder.Status
PLACE, EXPECTED, RECEIVE, CHASE, CANCEL = list(OrderAction)

BY_STATE = {
    "draft": {PLACE, CANCEL},
    "placed": {EXPECTED, RECEIVE, CHASE, CANCEL},
    "received": set(),
    "cancelled": set(),
}
# "orderer" is Sam Staff, linked to the premises' PCSE Online account.
HANDLERS = ["manager", "head_office", "portal_admin", "orderer"]
NOT_HANDLERS = ["staff", "other_manager"]
CASES = [(state, role) for state in BY_STATE for role in HANDLERS + NOT_HANDLERS]


def expected(state, role):
    return BY_STATE[state] if role in HANDLERS else set()


def person(world, role):
    if role == "orderer":
        PcseOrdererFactory(premises=world.premises, user=world.staff)
        return world.staff
    return world.user(role)


def order_in(state, world):
    today = timezone.localdate()
    if state == "draft":
        return TokenOrderFactory(premises=world.premises)
    order = TokenOrderFactory(premises=world.premises, placed=True)
    if state == "received":
        order.status = Status.RECEIVED
        order.received_on = today
        order.received_by = world.manager
    elif state == "cancelled":
        order.status = Status.CANCELLED
        order.cancelled_at = timezone.now()
        order.cancelled_by = world.manager
        order.cancel_reason = "Ordered twice"
    order.save()
    return TokenOrder.objects.select_related("premises").get(pk=order.pk)


@pytest.mark.parametrize(("state", "role"), CASES)
def test_who_may_do_what_in_each_state(world, state, role):
    order = order_in(state, world)
    user = person(world, role)
    allowed = actions.allowed(user, order)
    assert set(allowed) == expected(state, role)
    for action in OrderAction:
        verdict = actions.check(user, action, order)
        assert bool(verdict) == (action in expected(state, role))
        assert bool(verdict.reason) != bool(verdict), "a refusal always says why"
        if role in NOT_HANDLERS:
            assert verdict.code == NOT_PERMITTED


class TestWhyNot:
    def test_a_draft(self, world):
        why = actions.allowed(world.manager, order_in("draft", world)).why
        assert why[RECEIVE] == (
            "Only an order placed on PCSE Online can be received. This order is draft."
        )
        assert why[CHASE] == "Only an order placed on PCSE Online and not yet received is chased"
        assert why[EXPECTED].startswith("An expected delivery date can only be recorded")

    def test_a_received_order(self, world):
        order = order_in("received", world)
        why = actions.allowed(world.manager, order).why
        assert why[PLACE] == "This order is already received"
        assert why[RECEIVE] == (
            f"This order was already received on {timezone.localdate():%-d %B %Y}. "
            "Its tokens are in the stock."
        )
        assert why[CANCEL].startswith("A received order cannot be cancelled")

    def test_a_cancelled_order(self, world):
        verdict = actions.check(world.manager, CANCEL, order_in("cancelled", world))
        assert (verdict.code, verdict.reason) == ("cancelled", "This order is already cancelled")


def call(action, user, order):
    today = timezone.localdate()
    if action == PLACE:
        return services.token_order_place(
            actor=user, order=order, pcse_reference="PCSE-424242", placed_on=today
        )
    if action == EXPECTED:
        return services.token_order_expected_delivery_set(
            actor=user, order=order, expected_delivery_on=today + timedelta(days=9)
        )
    if action == RECEIVE:
        return services.token_order_receive(actor=user, order=order, received_on=today)
    if action == CHASE:
        return services.token_order_escalate(actor=user, order=order, method="phone")
    return services.token_order_cancel(actor=user, order=order, reason="Not needed")


@pytest.mark.parametrize(
    ("state", "role", "action"),
    [
        (state, role, action)
        for state in BY_STATE
        for role in ("manager", "orderer", "staff", "other_manager")
        for action in OrderAction
        if action not in expected(state, role)
    ],
)
def test_services_refuse_what_the_rule_refuses_in_its_words(world, state, role, action):
    order = order_in(state, world)
    user = person(world, role)
    verdict = actions.check(user, action, order)
    if not verdict.permitted:
        with pytest.raises(PermissionDenied):
            call(action, user, order)
    else:
        with pytest.raises(ValidationError) as refused:
            call(action, user, order)
        assert refused.value.messages == [verdict.reason]
    assert TokenOrder.objects.get(pk=order.pk).status == order.status


@pytest.mark.parametrize(
    ("state", "action"),
    [(state, action) for state, allowed in BY_STATE.items() for action in sorted(allowed)],
)
def test_an_orderer_does_what_the_rule_allows(world, state, action):
    order = order_in(state, world)
    call(action, person(world, "orderer"), order)


ACTION_URLS = {
    PLACE: "tokens_order_place",
    EXPECTED: "tokens_order_expected_delivery",
    RECEIVE: "tokens_order_receive",
    CHASE: "tokens_order_escalate",
    CANCEL: "tokens_order_cancel",
}


@pytest.mark.parametrize(
    ("state", "role"), [(s, r) for s in BY_STATE for r in ("manager", "orderer", "staff")]
)
def test_the_order_page_offers_exactly_the_allowed_actions(world, state, role):
    order = order_in(state, world)
    client = sign_in(Client(), person(world, role))
    html = client.get(reverse("tokens_order_detail", args=[order.pk])).content.decode()
    offered = {
        action for action, name in ACTION_URLS.items() if reverse(name, args=[order.pk]) in html
    }
    assert offered == expected(state, role)
    waits = "A premises manager, head office or one of the premises' PCSE orderers places"
    assert (waits in html) == (state == "draft" and role == "staff")


@pytest.mark.parametrize("action", [PLACE, RECEIVE, CANCEL, EXPECTED, CHASE])
def test_an_action_page_out_of_turn_goes_back_to_the_order_saying_why(world, action):
    order = order_in("received", world)
    client = sign_in(Client(), world.manager)
    response = client.get(reverse(ACTION_URLS[action], args=[order.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("tokens_order_detail", args=[order.pk])
    assert actions.check(world.manager, action, order).reason in response.content.decode()


class TestOrderers:
    def test_managing_the_list_needs_manage_tokens(self, world):
        for role, may in [("manager", True), ("head_office", True), ("staff", False)]:
            allowed = actions.allowed_orderers(world.user(role), world.premises)
            assert bool(allowed.add) is may and bool(allowed.remove) is may
        with pytest.raises(PermissionDenied):
            services.pcse_orderer_add(actor=world.staff, premises=world.premises, user=world.staff)

    def test_the_count_rule_is_the_standings(self):
        assert OrdererCover(0).too_few and OrdererCover(MIN_ORDERERS - 1).too_few
        assert not OrdererCover(MIN_ORDERERS).too_few
        assert OrdererCover(0).who == "Nobody working here is recorded"
        assert OrdererCover(1).who == "Only one person working here is recorded"
        assert OrdererCover(0).heading == "Fewer than two people can order"

    def test_only_people_working_there_count(self, world):
        class Linked:
            def __init__(self, works_here):
                self.works_here = works_here

        assert orderer_cover([Linked(True), Linked(False)]).working == 1

    def test_the_page_offers_removal_only_to_those_who_manage_it(self, world):
        orderer = PcseOrdererFactory(premises=world.premises, user=world.staff)
        remove = reverse("tokens_orderer_remove", args=[orderer.pk])
        url = reverse("tokens_orderers", args=[world.premises.pk])
        manager_page = sign_in(Client(), world.manager).get(url).content.decode()
        staff_page = sign_in(Client(), world.staff).get(url).content.decode()
        assert remove in manager_page and remove not in staff_page
        assert "Only one person working here is recorded" in staff_page
