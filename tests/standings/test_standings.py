"""The stored standings: always what the areas' standing modules would work out fresh.

Services refresh what they touch on commit; readers repair what is missing, stale or from
an earlier day; a refresh that fails leaves its rows marked stale, never silently wrong.
"""

import contextlib
import io
import random
from collections import Counter
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import OperationalError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import services as account_services
from accounts import standings
from accounts.models import (
    Membership,
    Premises,
    PremisesStanding,
    StandingDay,
    StandingTally,
    UnlockerCover,
)
from accounts.standings import registry
from dashboard import selectors as dashboard_selectors
from eps import selectors as eps_selectors
from eps import services as eps_services
from nhsmail import selectors as nhsmail_selectors
from nhsmail import services as nhsmail_services
from nhsmail.models import MailboxLink, PersonalAccount
from records import selectors as records_selectors
from records import services as records_services
from smartcards import selectors as smartcard_selectors
from smartcards import services as smartcard_services
from smartcards.models import SmartcardHolder, SmartcardRequest
from tests.conftest import sign_in
from tests.factories import MembershipFactory, PremisesFactory, UserFactory

AREAS = ("nhsmail", "smartcards", "eps", "records")


def today():
    return timezone.localdate()


def assert_stored_equal_fresh(premises_ids):
    fresh = standings.standings_work_out(premises_ids)
    stored = standings.stored_standings(premises_ids)
    for area_key, by_premises in fresh.items():
        for premises_id, standing in by_premises.items():
            row = stored[premises_id][area_key]
            assert (row.level, row.reason, row.figures, row.stale) == (
                standing.level,
                standing.reason,
                standing.figures,
                False,
            ), f"{area_key} of premises {premises_id}"
    # The organisations' tallies are today's history summed.
    history = Counter(
        StandingDay.objects.filter(day=today()).values_list(
            "premises__organisation_id", "area", "level"
        )
    )
    tallies = Counter()
    for organisation_id, area_key, level, count in StandingTally.objects.filter(
        day=today()
    ).values_list("organisation_id", "area", "level", "premises_count"):
        tallies[organisation_id, area_key, level] += count
    assert tallies == history


# --- Service calls a property test strings together ---------------------------------------


def _members(premises):
    return list(Membership.objects.current().filter(premises=premises).select_related("user"))


def _join(world, premises, rnd):
    number = rnd.randrange(10**6)
    _, token = account_services.invitation_create(
        actor=world.portal_admin,
        premises=premises,
        email=f"joiner{number}@example.nhs.uk",
        full_name=f"Joiner {number}",
        job_role=rnd.choice(["pharmacist", "technician", "dispenser"]),
    )
    if token:
        account_services.invitation_accept(
            token=token, full_name=f"Joiner {number}", password="a long portal passphrase 42"
        )


def _leave(world, premises, rnd):
    members = [m for m in _members(premises) if m.user_id != world.manager.pk]
    if members:
        account_services.membership_end(
            actor=world.portal_admin, membership=rnd.choice(members), end_date=today()
        )


def _change_role(world, premises, rnd):
    membership = rnd.choice(_members(premises) or [None])
    if membership:
        account_services.membership_change_role(
            actor=world.portal_admin,
            membership=membership,
            job_role=rnd.choice(["pharmacist", "technician", "dispenser"]),
            is_manager=membership.is_manager,
        )


def _mailbox(world, premises, rnd):
    nhsmail_services.mailbox_set(
        actor=world.portal_admin,
        premises=premises,
        address=f"pharmacy.{premises.ods_code.lower()}@nhs.net",
    )


def _account(world, premises, rnd):
    membership = rnd.choice(_members(premises) or [None])
    if membership:
        nhsmail_services.account_record(
            actor=world.portal_admin,
            person=membership.user,
            address=f"person.{membership.user_id}@nhs.net",
            status=rnd.choice(
                [PersonalAccount.Status.LIVE] * 3 + [PersonalAccount.Status.DISABLED]
            ),
        )


def _link(world, premises, rnd):
    accounts = list(PersonalAccount.objects.filter(user__in=[m.user for m in _members(premises)]))
    if accounts:
        nhsmail_services.link_create(
            actor=world.portal_admin, premises=premises, account=rnd.choice(accounts)
        )


def _unlink(world, premises, rnd):
    links = list(MailboxLink.objects.current().filter(mailbox__premises=premises))
    if links:
        nhsmail_services.link_end(actor=world.portal_admin, link=rnd.choice(links))


def _card(world, premises, rnd):
    membership = rnd.choice(_members(premises) or [None])
    if membership:
        smartcard_services.smartcard_holder_save(
            actor=membership.user,
            person=membership.user,
            uuid=f"{700000000000 + membership.user_id:012d}",
            certificate_expires_on=today() + timedelta(days=rnd.randrange(0, 200)),
            has_cim_email=False,
        )


def _raise(world, premises, rnd):
    holders = list(SmartcardHolder.objects.filter(user__in=[m.user for m in _members(premises)]))
    if holders:
        holder = rnd.choice(holders)
        smartcard_services.smartcard_request_raise(
            actor=holder.user,
            holder=holder,
            premises=premises,
            kind=SmartcardRequest.Kind.UNLOCK,
            urgent=rnd.random() < 0.5,
        )


def _cancel(world, premises, rnd):
    waiting = list(
        SmartcardRequest.objects.filter(premises=premises, status__in=SmartcardRequest.ACTIVE)
    )
    if waiting:
        smartcard_request = rnd.choice(waiting)
        smartcard_services.smartcard_request_cancel(
            actor=smartcard_request.raised_by, smartcard_request=smartcard_request
        )


def _cover(world, premises, rnd):
    covers = list(UnlockerCover.objects.filter(premises=premises))
    if covers and rnd.random() < 0.5:
        account_services.unlocker_cover_remove(actor=world.portal_admin, cover=rnd.choice(covers))
    else:
        account_services.unlocker_cover_add(
            actor=world.portal_admin, unlocker=UserFactory(), premises=premises
        )


def _usage(world, premises, rnd):
    eps_services.token_usage_record(
        actor=world.portal_admin,
        premises=premises,
        quantity=rnd.randrange(1, 60),
        occurred_on=today() - timedelta(days=rnd.randrange(0, 20)),
    )


def _count(world, premises, rnd):
    eps_services.token_count_record(
        actor=world.portal_admin,
        premises=premises,
        counted=rnd.randrange(0, 600),
        reason="Stock take",
    )


def _order(world, premises, rnd):
    eps_services.token_order_draft(actor=world.portal_admin, premises=premises, packs=1)


def _orderer(world, premises, rnd):
    membership = rnd.choice(_members(premises) or [None])
    if membership:
        eps_services.pcse_orderer_add(
            actor=world.portal_admin, premises=premises, user=membership.user
        )


def _readiness(world, premises, rnd):
    eligible = [m for m in _members(premises) if m.job_role in ("pharmacist", "technician")]
    if eligible:
        membership = rnd.choice(eligible)
        records_services.readiness_record(
            actor=world.portal_admin,
            membership=membership,
            gphc_number=f"{2000000 + membership.user_id}",
            is_trainee=False,
            scr_role=rnd.choice(["premises", "none"]),
            cppe_training_on=rnd.choice([None, today() - timedelta(days=900)]),
        )


OPERATIONS = {
    operation.__name__.lstrip("_"): operation
    for operation in (
        _join,
        _leave,
        _change_role,
        _mailbox,
        _account,
        _link,
        _unlink,
        _card,
        _raise,
        _cancel,
        _cover,
        _usage,
        _count,
        _order,
        _orderer,
        _readiness,
    )
}


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(sorted(OPERATIONS)), st.booleans(), st.integers(0, 10**6)),
        min_size=1,
        max_size=8,
    )
)
def test_stored_standings_equal_fresh_after_every_service_call(
    world, django_capture_on_commit_callbacks, steps
):
    ids = [world.premises.pk, world.second_premises.pk]
    # Each example starts from the same world and leaves it as it found it.
    with transaction.atomic():
        standings.standings_refresh(premises_ids=ids)
        for name, second, seed in steps:
            premises = world.second_premises if second else world.premises
            # Refused input changes nothing; the standing must still hold.
            with (
                django_capture_on_commit_callbacks(execute=True),
                contextlib.suppress(ValidationError, PermissionDenied),
            ):
                OPERATIONS[name](world, premises, random.Random(seed))
            assert_stored_equal_fresh(ids)
        assert_dashboard_equals_area_pages(world)
        transaction.set_rollback(True)


def assert_dashboard_equals_area_pages(world):
    """The head office's dashboard totals are the sums the area pages show."""
    organisation = world.premises.organisation
    premises = Premises.objects.filter(organisation=organisation)
    headline = dashboard_selectors.headline(premises)
    cards = smartcard_selectors.standing_totals(premises)
    for name in (
        "certificates_expired",
        "expiring_30",
        "expiring_60",
        "expiring_90",
        "open_requests",
        "urgent_requests",
    ):
        assert getattr(headline, name) == cards[name], name
    nhsmail_levels = Counter(
        row.standing.level for row in nhsmail_selectors.organisation_compliance(premises)
    )
    assert headline.levels.get("nhsmail", {}) == dict(nhsmail_levels)
    tokens = eps_selectors.organisation_token_figures(world.portal_admin, organisation)
    assert headline.low_on_tokens == eps_selectors.organisation_summary(tokens)["low"]
    readiness = records_selectors.organisation_readiness_totals(world.portal_admin, organisation)
    assert headline.without_ready_pharmacist == readiness["without_ready_pharmacist"]
    assert headline.premises_count == readiness["premises_count"]


# --- Each service refreshes its premises on commit, in a fixed number of queries ----------


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_a_service_and_its_refresh_cost_the_same_however_many_premises(
    world, django_capture_on_commit_callbacks, name
):
    """A service call with the refresh it queues on commit runs the same number of queries
    with 3 or 23 premises in the portal."""
    setup = random.Random(7)
    for step in ("join", "join", "mailbox", "account", "link", "card", "raise", "usage"):
        with (
            django_capture_on_commit_callbacks(execute=True),
            contextlib.suppress(ValidationError),
        ):
            OPERATIONS[step](world, world.premises, setup)

    def measured():
        standings.standings_refresh()
        with transaction.atomic():
            with (
                CaptureQueriesContext(connection) as queries,
                django_capture_on_commit_callbacks(execute=True),
                contextlib.suppress(ValidationError),
            ):
                OPERATIONS[name](world, world.premises, random.Random(11))
            transaction.set_rollback(True)
        return len(queries)

    small = measured()
    for _ in range(20):
        PremisesFactory(organisation=world.premises.organisation)
    assert measured() == small


# --- Repair and failure ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_premises_with_nothing_yet_has_a_standing_and_a_reason_in_every_area():
    premises = PremisesFactory()
    stored = standings.standings_of(premises)
    assert set(stored) == set(AREAS)
    assert stored["nhsmail"].level == "red"
    assert stored["nhsmail"].reason == "No shared mailbox recorded for this premises"
    assert stored["smartcards"].reason == "No local smartcard unlocker covers this premises"
    assert "No token usage recorded" in stored["eps"].reason
    assert "Nobody here can order on PCSE Online" in stored["eps"].reason
    assert stored["records"].level == "red"
    assert stored["records"].reason.startswith("No staff recorded here")


@pytest.mark.django_db
def test_readers_repair_missing_stale_and_old_standings(world):
    standings.standings_refresh(premises_ids=[world.premises.pk])
    PremisesStanding.objects.filter(premises=world.premises, area="eps").delete()
    PremisesStanding.objects.filter(premises=world.premises, area="records").update(stale=True)
    PremisesStanding.objects.filter(premises=world.premises, area="nhsmail").update(
        worked_out_for=today() - timedelta(days=1)
    )
    stored = standings.standings_of(world.premises)
    assert set(stored) == set(AREAS)
    assert not any(standing.stale for standing in stored.values())
    assert {standing.worked_out_for for standing in stored.values()} == {today()}


@pytest.mark.django_db
def test_a_failed_refresh_keeps_the_change_and_marks_the_standing_stale(
    world, django_capture_on_commit_callbacks, monkeypatch
):
    standings.standings_refresh(premises_ids=[world.premises.pk])
    area = standings.area("eps")

    def database_gone(premises_queryset, on):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setitem(
        registry._AREAS, "eps", standings.Area(**{**area.__dict__, "work_out": database_gone})
    )
    with django_capture_on_commit_callbacks(execute=True):
        eps_services.token_count_record(
            actor=world.manager, premises=world.premises, counted=120, reason="Stock take"
        )
    # The change committed, and the standing says it may be out of date.
    assert eps_selectors.token_figures_for(world.premises).stock == 120
    row = PremisesStanding.objects.get(premises=world.premises, area="eps")
    assert row.stale
    html = sign_in(Client(), world.head_office).get(
        reverse("premises_overview", args=[world.premises.pk])
    )
    assert "may be out of date" in html.content.decode()
    # Once the database answers again, the next reader repairs it.
    monkeypatch.setitem(registry._AREAS, "eps", area)
    assert not standings.standing_of(world.premises, "eps").stale
    assert standings.standing_of(world.premises, "eps")["stock"] == 120


@pytest.mark.django_db
def test_the_daily_job_records_history_for_every_premises_and_area(world):
    from accounts.tasks import refresh_standings

    refresh_standings.delay()
    refresh_standings.delay()  # twice: idempotent
    premises_count = 3
    assert StandingDay.objects.filter(day=today()).count() == premises_count * len(AREAS)
    assert PremisesStanding.objects.filter(stale=False).count() == premises_count * len(AREAS)


@pytest.mark.django_db
def test_the_rebuild_command_works_out_every_standing_again(world):
    PremisesStanding.objects.all().delete()
    out = io.StringIO()
    call_command("standings_rebuild", stdout=out)
    assert PremisesStanding.objects.filter(stale=False).count() == 3 * len(AREAS)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("NHSmail: 3 not compliant, 0 compliant, at risk, 0 compliant")
    assert [line.split(":")[0] for line in lines] == [
        "NHSmail",
        "Smartcards",
        "EPS tokens",
        "SCR/NCRS",
    ]


@pytest.mark.django_db
def test_readers_look_for_never_worked_out_premises_among_recent_ones_only(world):
    """Older premises always have rows (the daily job covers every premises), so a reader
    looks for missing ones among the premises created in the last two days only."""
    old = PremisesFactory(organisation=world.premises.organisation)
    Premises.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    new = PremisesFactory(organisation=world.premises.organisation)
    standings.ensure_current(Premises.objects.filter(pk__in=[old.pk, new.pk]))
    assert not PremisesStanding.objects.filter(premises=old).exists()
    assert PremisesStanding.objects.filter(premises=new).count() == len(AREAS)
    call_command("standings_rebuild", stdout=io.StringIO())
    assert PremisesStanding.objects.filter(premises=old).count() == len(AREAS)


# --- What each area's rules make of a premises ----------------------------------------


def _eps_standing(premises):
    from eps import standing as eps_standing

    return eps_standing.work_out(Premises.objects.filter(pk=premises.pk), today())[premises.pk]


def _eps_orderers(premises, count):
    from tests.eps.factories import PcseOrdererFactory

    for _ in range(count):
        member = MembershipFactory(premises=premises)
        PcseOrdererFactory(premises=premises, user=member.user)


def _eps_usage(premises, stock, per_day=10):
    """Ten days of use at per_day, leaving `stock` tokens: stock // per_day days of cover."""
    from tests.eps.factories import movement

    movement(premises, stock + per_day * 10, days_ago=10)
    for days_ago in range(10):
        movement(premises, -per_day, days_ago=days_ago)


def _eps_reorder_days():
    from eps.models import default_settings

    defaults = default_settings()
    return defaults["lead_time_days"] + defaults["safety_margin_days"]


@pytest.mark.django_db
def test_eps_low_stock_without_a_placed_order_is_red_and_says_so():
    premises = PremisesFactory()
    _eps_usage(premises, stock=20)
    _eps_orderers(premises, 1)
    standing = _eps_standing(premises)
    reorder = _eps_reorder_days()
    assert standing.level == "red"
    assert standing.reason == (
        f"Low on tokens: 2 days of cover, below the {reorder}-day reorder point, and no "
        "order placed on PCSE Online; Only one person here can order on PCSE Online; 2 are "
        "needed"
    )
    assert standing.figures["stock"] == 20
    assert standing.figures["days_of_cover"] == 2
    assert standing.figures["reorder_days"] == reorder
    assert standing.figures["is_low"] is True
    assert standing.figures["has_usage"] is True
    assert standing.figures["orderers"] == 1
    assert standing.figures["too_few_orderers"] is True
    assert standing.figures["placed_orders"] == 0


@pytest.mark.django_db
def test_eps_low_stock_with_an_order_on_its_way_is_amber():
    from tests.eps.factories import TokenOrderFactory

    premises = PremisesFactory()
    _eps_usage(premises, stock=10)
    _eps_orderers(premises, 2)
    TokenOrderFactory(premises=premises, placed=True)
    standing = _eps_standing(premises)
    assert standing.level == "amber"
    assert standing.reason == (
        f"Low on tokens: 1 day of cover, below the {_eps_reorder_days()}-day reorder point; "
        "an order is on its way"
    )
    assert standing.figures["orderers"] == 2
    assert standing.figures["too_few_orderers"] is False
    assert (standing.figures["open_orders"], standing.figures["placed_orders"]) == (1, 1)
    assert standing.figures["overdue_orders"] == 0


@pytest.mark.django_db
def test_eps_low_stock_with_only_an_overdue_order_is_red_once():
    from tests.eps.factories import TokenOrderFactory

    premises = PremisesFactory()
    _eps_usage(premises, stock=20)
    _eps_orderers(premises, 2)
    TokenOrderFactory(premises=premises, overdue=True)
    standing = _eps_standing(premises)
    assert standing.level == "red"
    assert standing.reason == (
        f"Low on tokens: 2 days of cover, below the {_eps_reorder_days()}-day reorder point, "
        "and the order placed is overdue"
    )
    assert standing.figures["overdue_orders"] == 1


@pytest.mark.django_db
def test_eps_overdue_orders_with_stock_enough_are_amber_and_counted():
    from tests.eps.factories import TokenOrderFactory

    premises = PremisesFactory()
    _eps_usage(premises, stock=1500)
    _eps_orderers(premises, 2)
    TokenOrderFactory(premises=premises, overdue=True)
    assert _eps_standing(premises).reason == "1 order past the expected delivery date"
    TokenOrderFactory(premises=premises, overdue=True)
    standing = _eps_standing(premises)
    assert standing.level == "amber"
    assert standing.reason == "2 orders past the expected delivery date"
    assert standing.figures["is_low"] is False


@pytest.mark.django_db
def test_eps_enough_stock_and_orderers_is_green_with_the_stock_and_cover():
    premises = PremisesFactory()
    _eps_usage(premises, stock=1500)
    _eps_orderers(premises, 2)
    standing = _eps_standing(premises)
    assert standing.level == "green"
    assert standing.reason == "1,500 in stock, 150 days of cover"
    assert standing.figures["too_few_orderers"] is False


@pytest.mark.django_db
def test_eps_no_orderers_and_no_usage_are_amber_for_both():
    premises = PremisesFactory()
    MembershipFactory(premises=premises)
    standing = _eps_standing(premises)
    assert standing.level == "amber"
    assert standing.reason == (
        "Nobody here can order on PCSE Online; 2 are needed; No token usage recorded in the "
        "last eight weeks, so days of cover are unknown"
    )
    assert standing.figures["orderers"] == 0
    assert standing.figures["has_usage"] is False
    assert standing.figures["days_of_cover"] is None


def _records_standing(premises):
    from records import standing as records_standing

    return records_standing.work_out(Premises.objects.filter(pk=premises.pk), today())[premises.pk]


def _ready_technician(premises):
    from tests.records.factories import GphcRegistrationFactory, ReadinessRecordFactory

    membership = MembershipFactory(premises=premises, job_role="technician")
    GphcRegistrationFactory(user=membership.user)
    ReadinessRecordFactory(membership=membership)
    return membership


@pytest.mark.django_db
def test_records_a_ready_pharmacist_and_every_eligible_ready_is_green():
    from tests.records.factories import ready_pharmacist

    premises = PremisesFactory()
    ready_pharmacist(premises)
    _ready_technician(premises)
    MembershipFactory(premises=premises, job_role="dispenser")  # not eligible
    standing = _records_standing(premises)
    assert standing.level == "green"
    assert standing.reason == "2 of 2 eligible staff ready"
    assert standing.figures == {
        "staff_count": 3,
        "eligible_staff_count": 2,
        "ready_staff_count": 2,
        "training_due_count": 0,
        "has_ready_pharmacist": True,
    }


@pytest.mark.django_db
def test_records_eligible_staff_not_ready_or_due_training_are_amber():
    from records.models import ReadinessRecord
    from tests.records.factories import ready_pharmacist

    premises = PremisesFactory()
    pharmacist = ready_pharmacist(premises)
    MembershipFactory(premises=premises, job_role="technician")  # no readiness record
    standing = _records_standing(premises)
    assert standing.level == "amber"
    assert standing.reason == "1 of 2 eligible staff not ready"
    ReadinessRecord.objects.filter(membership=pharmacist).update(
        cppe_training_on=today() - timedelta(days=365 * 3)
    )
    standing = _records_standing(premises)
    assert standing.level == "amber"
    assert standing.reason == (
        "1 of 2 eligible staff not ready; CPPE SCR training due a refresh for 1 of 2 eligible staff"
    )
    assert standing.figures["training_due_count"] == 1


@pytest.mark.django_db
def test_records_no_ready_pharmacist_is_red_with_the_staff_ready_and_the_rest():
    premises = PremisesFactory()
    _ready_technician(premises)
    MembershipFactory(premises=premises, job_role="pharmacist")  # no readiness record
    standing = _records_standing(premises)
    assert standing.level == "red"
    assert standing.reason == (
        "No registered pharmacist here is ready for SCR/NCRS (1 staff ready); "
        "1 of 2 eligible staff not ready"
    )
    assert standing.figures["has_ready_pharmacist"] is False


@pytest.mark.django_db
def test_records_no_staff_at_all_is_red_for_that_reason():
    standing = _records_standing(PremisesFactory())
    assert standing.level == "red"
    assert standing.reason == "No staff recorded here, so no pharmacist is ready for SCR/NCRS"
    assert standing.figures["staff_count"] == 0


@pytest.mark.django_db
def test_eps_and_records_standings_are_worked_out_for_the_day_asked():
    from eps import standing as eps_standing
    from records import standing as records_standing
    from tests.eps.factories import TokenOrderFactory
    from tests.records.factories import ready_pharmacist

    premises = PremisesFactory()
    _eps_usage(premises, stock=1500)
    _eps_orderers(premises, 2)
    TokenOrderFactory(premises=premises, placed=True)  # expected in four days
    ready_pharmacist(premises, start_date=today() + timedelta(days=10))
    queryset = Premises.objects.filter(pk=premises.pk)
    later = today() + timedelta(days=10)
    assert eps_standing.work_out(queryset, today())[premises.pk].figures["overdue_orders"] == 0
    later_eps = eps_standing.work_out(queryset, later)[premises.pk]
    assert later_eps.reason == "1 order past the expected delivery date"
    assert records_standing.work_out(queryset, today())[premises.pk].level == "red"
    assert records_standing.work_out(queryset, later)[premises.pk].level == "green"
