"""Who may move a new-starter NHSmail request on, and confirm an account in use, in which
state, and why not (nhsmail/actions.py); the services refuse in its words; the premises
and account pages offer exactly what it allows."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.actions import NOT_PERMITTED
from nhsmail import actions, services
from nhsmail.actions import AccountAction, RequestAction
from nhsmail.models import AccountRequest, PersonalAccount
from tests.conftest import sign_in
from tests.nhsmail.factories import PersonalAccountFactory

pytestmark = pytest.mark.django_db
SUBMIT, MARK_LIVE = RequestAction.SUBMIT, RequestAction.MARK_LIVE
STAGES = {"requested": {SUBMIT}, "submitted": {MARK_LIVE}, "live": set()}
MANAGERS = ["manager", "head_office", "portal_admin"]
OTHERS = ["staff", "unlocker", "other_manager"]


def request_at(stage, world):
    account_request = AccountRequest.objects.create(user=world.staff, premises=world.premises)
    if stage in ("submitted", "live"):
        account_request.status = AccountRequest.Status.SUBMITTED
        account_request.submitted_at = timezone.now()
        account_request.submitted_by = world.manager
    if stage == "live":
        account_request.status = AccountRequest.Status.LIVE
        account_request.completed_at = timezone.now()
        account_request.completed_by = world.head_office
    account_request.save()
    return account_request


@pytest.mark.parametrize("stage", list(STAGES))
@pytest.mark.parametrize("role", MANAGERS + OTHERS)
def test_who_moves_a_request_on_at_each_stage(world, stage, role):
    account_request = request_at(stage, world)
    allowed = actions.allowed_request(world.user(role), account_request)
    assert set(allowed) == (STAGES[stage] if role in MANAGERS else set())
    if role in OTHERS:
        assert {allowed.verdicts[a].code for a in RequestAction} == {NOT_PERMITTED}


class TestWhyNot:
    def test_a_request_already_moved_on_says_who_and_when(self, world):
        why = actions.allowed_request(world.manager, request_at("live", world)).why
        assert why[SUBMIT].startswith("Sam Staff's request was already marked live by Hal Office")
        assert why[MARK_LIVE] == why[SUBMIT]
        submitted = actions.allowed_request(world.manager, request_at("submitted", world))
        assert submitted.why[SUBMIT].startswith(
            "Sam Staff's request was already marked as submitted for registration by Mia Manager"
        )

    def test_mark_live_before_submitting(self, world):
        verdict = actions.check_request(world.manager, MARK_LIVE, request_at("requested", world))
        assert (verdict.code, verdict.reason) == (
            "not_submitted",
            "Mark the request as submitted for registration first.",
        )


@pytest.mark.parametrize(("stage", "action"), [("submitted", SUBMIT), ("live", SUBMIT)])
def test_the_service_refuses_in_the_rules_words(world, stage, action):
    account_request = request_at(stage, world)
    verdict = actions.check_request(world.manager, action, account_request)
    with pytest.raises(ValidationError) as refused:
        services.account_request_submit(actor=world.manager, request=account_request)
    assert refused.value.messages == [verdict.reason]
    with pytest.raises(PermissionDenied):
        services.account_request_submit(actor=world.staff, request=account_request)


@pytest.mark.parametrize("stage", list(STAGES)[:2])
def test_the_premises_page_offers_exactly_the_next_step(world, stage):
    account_request = request_at(stage, world)
    html = (
        sign_in(Client(), world.manager)
        .get(reverse("nhsmail_premises", args=[world.premises.pk]))
        .content.decode()
    )
    submit = reverse("nhsmail_request_advance", args=[account_request.pk])
    live = reverse("nhsmail_request_live", args=[account_request.pk])
    assert (submit in html, live in html) == (stage == "requested", stage == "submitted")


class TestConfirmingAnAccount:
    @pytest.mark.parametrize(
        ("status", "allowed"),
        [(PersonalAccount.Status.LIVE, True)]
        + [(s, False) for s in PersonalAccount.Status if s != PersonalAccount.Status.LIVE],
    )
    def test_only_a_live_account_is_confirmed(self, world, status, allowed):
        account = PersonalAccountFactory(user=world.staff, status=status)
        for role in ("staff", "manager", "head_office"):
            verdict = actions.check_account(world.user(role), AccountAction.CONFIRM, account)
            assert bool(verdict) is allowed
            if not allowed:
                assert verdict.code == "not_live"
                assert verdict.reason.endswith("not live. Update its status first.")

    def test_people_without_a_part_may_not(self, world):
        account = PersonalAccountFactory(user=world.staff)
        for role in ("unlocker", "other_manager", "other_head_office"):
            verdict = actions.check_account(world.user(role), AccountAction.CONFIRM, account)
            assert verdict.code == NOT_PERMITTED

    def test_the_service_says_why_by_the_date(self, world):
        account = PersonalAccountFactory(user=world.staff, status=PersonalAccount.Status.DISABLED)
        with pytest.raises(ValidationError) as refused:
            services.account_confirm_live(actor=world.staff, account=account)
        assert refused.value.message_dict["confirmed_on"] == [
            actions.check_account(world.staff, AccountAction.CONFIRM, account).reason
        ]

    @pytest.mark.parametrize("live", [True, False])
    def test_the_pages_offer_confirming_only_a_live_account(self, world, live):
        status = PersonalAccount.Status.LIVE if live else PersonalAccount.Status.DISABLED
        account = PersonalAccountFactory(user=world.staff, status=status)
        confirm = reverse("nhsmail_account_confirm", args=[account.pk])
        premises_page = (
            sign_in(Client(), world.manager)
            .get(reverse("nhsmail_premises", args=[world.premises.pk]))
            .content.decode()
        )
        own_page = sign_in(Client(), world.staff).get(reverse("nhsmail_my_account"))
        assert (confirm in premises_page) is live
        assert (confirm in own_page.content.decode()) is live
