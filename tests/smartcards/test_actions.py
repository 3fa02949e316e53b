"""Who may do what with a smartcard request, in which state, and why not
(smartcards/actions.py); the services refuse exactly what it refuses, in its words; the
request page and the queue offer exactly what it allows."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.actions import NOT_PERMITTED
from smartcards import actions, services
from smartcards.actions import RequestAction
from smartcards.models import SmartcardRequest
from tests.conftest import sign_in
from tests.factories import MembershipFactory
from tests.smartcards.factories import SmartcardRequestFactory, claimed, holder_for

pytestmark = pytest.mark.django_db
Status = SmartcardRequest.Status

CLAIM, RESOLVE, DECLINE, RELEASE, CANCEL = (
    RequestAction.CLAIM,
    RequestAction.RESOLVE,
    RequestAction.DECLINE,
    RequestAction.RELEASE,
    RequestAction.CANCEL,
)

# Sam Staff's unlock request at Calder Pharmacy. "unlocker" is Uma, who covers it, and
# "second_unlocker" Viv, who covers the whole group; "claimed" means Uma holds it.
ALLOWED = {
    "open": {
        "staff": {CANCEL},
        "manager": {CANCEL},
        "unlocker": {CLAIM},
        "second_unlocker": {CLAIM},
        "head_office": set(),
        "portal_admin": {CLAIM, CANCEL},
    },
    "claimed": {
        "staff": {CANCEL},
        "manager": {CANCEL},
        "unlocker": {RESOLVE, DECLINE, RELEASE},
        "second_unlocker": set(),
        "head_office": set(),
        # Frees a claim held by someone gone home; never resolves it for them.
        "portal_admin": {RELEASE, CANCEL},
    },
    "resolved": {role: set() for role in ("staff", "manager", "unlocker", "portal_admin")},
    "cancelled": {role: set() for role in ("staff", "manager", "unlocker", "portal_admin")},
}
CASES = [(state, role) for state, roles in ALLOWED.items() for role in roles]


def person(world, second_unlocker, role):
    return second_unlocker if role == "second_unlocker" else world.user(role)


def request_in(state, world):
    smartcard_request = SmartcardRequestFactory(
        holder=holder_for(world.staff, uuid="555500009999"), premises=world.premises
    )
    if state == "open":
        return smartcard_request
    claimed(smartcard_request, world.unlocker)
    if state == "resolved":
        smartcard_request.status = Status.RESOLVED
        smartcard_request.identity_checked = True
    elif state == "cancelled":
        smartcard_request.status = Status.CANCELLED
    if state in ("resolved", "cancelled"):
        smartcard_request.closed_by = world.unlocker if state == "resolved" else world.staff
        smartcard_request.closed_at = timezone.now()
        smartcard_request.closing_note = "Done"
        smartcard_request.save()
    return SmartcardRequest.objects.select_related(
        "holder__user", "premises", "raised_by", "claimed_by", "closed_by"
    ).get(pk=smartcard_request.pk)


@pytest.mark.parametrize(("state", "role"), CASES)
def test_who_may_do_what_in_each_state(world, second_unlocker, state, role):
    smartcard_request = request_in(state, world)
    user = person(world, second_unlocker, role)
    allowed = actions.allowed(user, smartcard_request)
    assert set(allowed) == ALLOWED[state][role]
    for action in RequestAction:
        verdict = actions.check(user, action, smartcard_request)
        assert bool(verdict) == (action in ALLOWED[state][role])
        assert bool(verdict.reason) != bool(verdict), "a refusal always says why"


def codes(user, smartcard_request):
    return {action: actions.check(user, action, smartcard_request).code for action in RequestAction}


class TestWhyNot:
    def test_open_request_to_an_unlocker(self, world):
        smartcard_request = request_in("open", world)
        why = actions.allowed(world.unlocker, smartcard_request).why
        assert why[RESOLVE] == "Claim this request before you resolve it."
        assert why[DECLINE] == "Claim this request before you decline it."
        assert why[RELEASE] == "This request is not claimed."
        assert codes(world.unlocker, smartcard_request)[CANCEL] == NOT_PERMITTED

    def test_someone_elses_claim(self, world, second_unlocker):
        smartcard_request = request_in("claimed", world)
        found = codes(second_unlocker, smartcard_request)
        assert found[CLAIM] == "already_claimed"
        assert found[RESOLVE] == found[DECLINE] == found[RELEASE] == "claimed_by_someone_else"
        why = actions.allowed(second_unlocker, smartcard_request).why
        assert why[CLAIM].startswith("Already claimed by Uma Unlocker on ")
        assert why[RESOLVE] == "Only Uma Unlocker, who claimed this request, can resolve it."
        assert why[RELEASE] == "Only Uma Unlocker, who claimed this request, can release it."

    def test_own_claim_is_not_claimed_again(self, world):
        smartcard_request = request_in("claimed", world)
        verdict = actions.check(world.unlocker, CLAIM, smartcard_request)
        assert verdict.code == "claimed_by_you"
        assert verdict.reason == "You have already claimed this request."

    def test_closed_requests_say_who_closed_them(self, world):
        resolved = request_in("resolved", world)
        verdict = actions.check(world.unlocker, CLAIM, resolved)
        assert verdict.code == "closed"
        assert verdict.reason.startswith("This request is already closed (unlocked) by Uma")
        cancelled = request_in("cancelled", world)
        verdict = actions.check(world.staff, CANCEL, cancelled)
        assert verdict.code == "cancelled"
        assert verdict.reason.startswith("Sam Staff cancelled this request on ")
        assert verdict.permitted

    def test_a_closed_request_says_in_full_who_closed_it_and_when(self, world):
        import datetime

        closed_at = timezone.make_aware(datetime.datetime(2026, 11, 30, 9, 5))
        resolved = request_in("resolved", world)
        resolved.closed_at = closed_at
        verdict = actions.closed_refusal(RESOLVE, resolved)
        assert (verdict.action, verdict.code) == (RESOLVE, "closed")
        assert verdict.reason == (
            "This request is already closed (unlocked) by Uma Unlocker on "
            "30 November 2026 at 09:05."
        )
        # A request closed by the portal itself, with no time kept, still reads plainly.
        resolved.closed_by, resolved.closed_at = None, None
        assert actions.closed_refusal(CLAIM, resolved).reason == (
            "This request is already closed (unlocked) by someone."
        )
        cancelled = request_in("cancelled", world)
        cancelled.closed_at = closed_at
        verdict = actions.closed_refusal(CANCEL, cancelled)
        assert (verdict.action, verdict.code) == (CANCEL, "cancelled")
        assert verdict.reason == (
            "Sam Staff cancelled this request on 30 November 2026 at 09:05. "
            "There is nothing left to do."
        )

    def test_roles_without_a_part_are_not_permitted(self, world, second_unlocker):
        smartcard_request = request_in("open", world)
        for action in RequestAction:
            verdict = actions.check(world.head_office, action, smartcard_request)
            assert verdict.code == NOT_PERMITTED and not verdict.permitted
        other_manager_view = codes(world.other_manager, smartcard_request)
        assert set(other_manager_view.values()) == {NOT_PERMITTED}


class TestTheUnlockersOwnRequest:
    @pytest.fixture
    def own_request(self, world):
        MembershipFactory(premises=world.premises, user=world.unlocker)
        return SmartcardRequestFactory(
            holder=holder_for(world.unlocker, uuid="555500001111"), premises=world.premises
        )

    def test_cannot_be_claimed_by_them(self, world, second_unlocker, own_request):
        verdict = actions.check(world.unlocker, CLAIM, own_request)
        assert verdict.code == "own_request"
        assert verdict.reason == (
            "You cannot work your own request: another unlocker must check your identity."
        )
        assert set(actions.allowed(world.unlocker, own_request)) == {CANCEL}
        assert set(actions.allowed(second_unlocker, own_request)) == {CLAIM}

    def test_their_queue_and_request_page_offer_no_claim(self, world, own_request):
        client = sign_in(Client(), world.unlocker)
        claim_url = reverse("smartcard_request_claim", args=[own_request.pk])
        queue = client.get(reverse("smartcard_queue")).content.decode()
        assert reverse("smartcard_request_detail", args=[own_request.pk]) in queue
        assert claim_url not in queue
        page = client.get(reverse("smartcard_request_detail", args=[own_request.pk]))
        html = page.content.decode()
        assert claim_url not in html
        assert "You cannot work your own request" in html

    def test_another_unlocker_is_offered_it(self, world, second_unlocker, own_request):
        client = sign_in(Client(), second_unlocker)
        queue = client.get(reverse("smartcard_queue")).content.decode()
        assert reverse("smartcard_request_claim", args=[own_request.pk]) in queue


def call(action, user, smartcard_request):
    if action == CLAIM:
        return services.smartcard_request_claim(actor=user, smartcard_request=smartcard_request)
    if action == RELEASE:
        return services.smartcard_request_release(actor=user, smartcard_request=smartcard_request)
    if action == RESOLVE:
        return services.smartcard_request_resolve(
            actor=user,
            smartcard_request=smartcard_request,
            outcome="done",
            note="Unlocked",
            identity_checked=True,
        )
    if action == DECLINE:
        return services.smartcard_request_decline(
            actor=user, smartcard_request=smartcard_request, reason="No answer"
        )
    return services.smartcard_request_cancel(
        actor=user, smartcard_request=smartcard_request, reason="Working again"
    )


REFUSED = [
    (state, role, action)
    for state, role in CASES
    for action in RequestAction
    if action not in ALLOWED[state][role]
    # Claiming what you hold is harmless: the service changes nothing.
    and not (state == "claimed" and role == "unlocker" and action == CLAIM)
]


@pytest.mark.parametrize(("state", "role", "action"), REFUSED)
def test_services_refuse_what_the_rule_refuses_in_its_words(
    world, second_unlocker, state, role, action
):
    smartcard_request = request_in(state, world)
    user = person(world, second_unlocker, role)
    verdict = actions.check(user, action, smartcard_request)
    if not verdict.permitted:
        with pytest.raises(PermissionDenied):
            call(action, user, smartcard_request)
    else:
        with pytest.raises(ValidationError) as refused:
            call(action, user, smartcard_request)
        assert refused.value.messages == [verdict.reason]
        assert refused.value.code == verdict.code
    assert SmartcardRequest.objects.get(pk=smartcard_request.pk).status == smartcard_request.status


@pytest.mark.parametrize(
    ("state", "role", "action"),
    [(state, role, action) for state, role in CASES for action in sorted(ALLOWED[state][role])],
)
def test_services_do_what_the_rule_allows(world, second_unlocker, state, role, action):
    smartcard_request = request_in(state, world)
    user = person(world, second_unlocker, role)
    done = call(action, user, smartcard_request)
    expected = {
        CLAIM: Status.CLAIMED,
        RELEASE: Status.OPEN,
        RESOLVE: Status.RESOLVED,
        DECLINE: Status.DECLINED,
        CANCEL: Status.CANCELLED,
    }[action]
    assert done.status == expected


ACTION_URLS = {
    CLAIM: "smartcard_request_claim",
    RESOLVE: "smartcard_request_resolve",
    DECLINE: "smartcard_request_decline",
    RELEASE: "smartcard_request_release",
    CANCEL: "smartcard_request_cancel",
}


@pytest.mark.parametrize(("state", "role"), CASES)
def test_the_request_page_offers_exactly_the_allowed_actions(world, second_unlocker, state, role):
    smartcard_request = request_in(state, world)
    client = sign_in(Client(), person(world, second_unlocker, role))
    response = client.get(reverse("smartcard_request_detail", args=[smartcard_request.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    offered = {
        action
        for action, name in ACTION_URLS.items()
        if reverse(name, args=[smartcard_request.pk]) in html
    }
    assert offered == ALLOWED[state][role]
