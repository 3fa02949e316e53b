"""The order state machine: draft, placed, received once, cancelled with a reason."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import AuditEvent
from eps import selectors, services
from eps.models import OrderEscalation, StockMovement, TokenOrder
from eps.standing import standing_from_figures
from eps.validators import validate_pcse_reference
from tests.eps.factories import PcseOrdererFactory, TokenOrderFactory, movement
from tests.factories import MembershipFactory

TODAY = timezone.localdate


def draft(world, packs=2):
    return services.token_order_draft(actor=world.staff, premises=world.premises, packs=packs)


def place(world, order, reference="PCSE-123456", placed_days_ago=0, expected_in=5):
    today = TODAY()
    return services.token_order_place(
        actor=world.manager,
        order=order,
        pcse_reference=reference,
        placed_on=today - timedelta(days=placed_days_ago),
        expected_delivery_on=None if expected_in is None else today + timedelta(days=expected_in),
    )


def receive(world, order, **kwargs):
    kwargs.setdefault("received_on", TODAY())
    return services.token_order_receive(actor=world.manager, order=order, **kwargs)


@pytest.mark.django_db
class TestStateMachine:
    def test_draft_place_receive(self, world):
        order = draft(world)
        assert (order.status, order.tokens, order.requested_by) == ("draft", 1000, world.staff)
        order = place(world, order, reference=" pcse-778899 ")
        assert (order.status, order.pcse_reference, order.placed_by) == (
            "placed",
            "PCSE-778899",
            world.manager,
        )
        order = receive(world, order)
        assert order.status == "received"
        delivery = StockMovement.objects.get(order=order)
        assert (delivery.kind, delivery.quantity) == ("delivery", 1000)
        assert selectors.token_figures_for(world.premises).stock == 1000

    def test_received_only_once(self, world):
        order = place(world, draft(world))
        receive(world, order)
        with pytest.raises(ValidationError, match="already received"):
            receive(world, order)
        assert StockMovement.objects.filter(order=order).count() == 1
        assert selectors.token_figures_for(world.premises).stock == 1000

    def test_the_database_holds_one_delivery_per_order(self, world):
        order = place(world, draft(world))
        receive(world, order)
        with pytest.raises(IntegrityError), transaction.atomic():
            movement(world.premises, 1000, order=order)

    def test_a_short_delivery_adds_what_arrived(self, world):
        order = receive(world, place(world, draft(world)), tokens_received=600)
        assert order.delivery.quantity == 600

    def test_a_received_order_cannot_be_cancelled(self, world):
        order = receive(world, place(world, draft(world)))
        with pytest.raises(ValidationError, match="received order cannot be cancelled"):
            services.token_order_cancel(actor=world.manager, order=order, reason="Wrong")
        order.refresh_from_db()
        assert order.status == "received"

    @pytest.mark.parametrize("placed", [False, True])
    def test_cancel_an_open_order_with_a_reason(self, world, placed):
        order = draft(world)
        if placed:
            order = place(world, order)
        with pytest.raises(ValidationError, match="Say why"):
            services.token_order_cancel(actor=world.manager, order=order, reason="   ")
        order = services.token_order_cancel(
            actor=world.manager, order=order, reason="Ordered twice"
        )
        assert (order.status, order.cancel_reason, order.cancelled_by) == (
            "cancelled",
            "Ordered twice",
            world.manager,
        )
        with pytest.raises(ValidationError, match="already cancelled"):
            services.token_order_cancel(actor=world.manager, order=order, reason="Again")

    def test_a_cancelled_order_is_not_received_or_placed(self, world):
        order = services.token_order_cancel(
            actor=world.manager, order=draft(world), reason="Not needed"
        )
        with pytest.raises(ValidationError, match="Only an order placed"):
            receive(world, order)
        with pytest.raises(ValidationError, match="already cancelled"):
            place(world, order)

    def test_a_draft_is_not_received(self, world):
        with pytest.raises(ValidationError, match="Only an order placed"):
            receive(world, draft(world))

    def test_placing_twice_is_refused(self, world):
        order = place(world, draft(world))
        with pytest.raises(ValidationError, match="already placed"):
            place(world, order, reference="OTHER-1234")

    def test_delivery_dates_before_the_order_date_are_refused(self, world):
        order = draft(world)
        with pytest.raises(ValidationError) as raised:
            place(world, order, placed_days_ago=3, expected_in=-5)
        assert "on or after the date the order was placed" in str(
            raised.value.message_dict["expected_delivery_on"]
        )
        order = place(world, order, placed_days_ago=3, expected_in=None)
        with pytest.raises(ValidationError) as raised:
            services.token_order_expected_delivery_set(
                actor=world.manager, order=order, expected_delivery_on=TODAY() - timedelta(days=4)
            )
        assert "expected_delivery_on" in raised.value.message_dict
        with pytest.raises(ValidationError) as raised:
            receive(world, order, received_on=TODAY() - timedelta(days=4))
        assert "received_on" in raised.value.message_dict
        with pytest.raises(ValidationError) as raised:
            receive(world, order, received_on=TODAY() + timedelta(days=1))
        assert "received_on" in raised.value.message_dict
        order.refresh_from_db()
        assert order.status == "placed"

    def test_placed_date_in_the_future_is_refused(self, world):
        with pytest.raises(ValidationError) as raised:
            place(world, draft(world), placed_days_ago=-1)
        assert "placed_on" in raised.value.message_dict

    def test_expected_delivery_can_be_recorded_later(self, world):
        order = place(world, draft(world), expected_in=None)
        services.token_order_expected_delivery_set(
            actor=world.manager, order=order, expected_delivery_on=TODAY() + timedelta(days=2)
        )
        order.refresh_from_db()
        assert order.expected_delivery_on == TODAY() + timedelta(days=2)

    def test_duplicate_reference_at_the_same_premises(self, world):
        place(world, draft(world), reference="PCSE-111111")
        with pytest.raises(ValidationError) as raised:
            place(world, draft(world), reference="pcse-111111")
        assert "already recorded" in raised.value.message_dict["pcse_reference"][0]
        other = TokenOrderFactory(premises=world.other_premises)
        services.token_order_place(
            actor=world.other_manager,
            order=other,
            pcse_reference="PCSE-111111",
            placed_on=TODAY(),
        )

    @pytest.mark.parametrize("packs", [0, -1, 201, 1.5, "3"])
    def test_bad_pack_counts(self, world, packs):
        with pytest.raises(ValidationError) as raised:
            draft(world, packs=packs)
        assert "packs" in raised.value.message_dict
        assert not TokenOrder.objects.exists()

    def test_orders_of_more_than_the_limit_refused_in_the_database(self, world):
        with pytest.raises(IntegrityError), transaction.atomic():
            TokenOrderFactory(premises=world.premises, packs=201, pack_size=500)

    def test_every_order_change_is_audited(self, world):
        order = draft(world)
        place(world, order)
        services.token_order_expected_delivery_set(
            actor=world.manager, order=order, expected_delivery_on=TODAY() + timedelta(days=9)
        )
        services.token_order_escalate(actor=world.manager, order=order, method="phone")
        receive(world, order)
        cancelled = services.token_order_cancel(
            actor=world.manager, order=draft(world), reason="Duplicate"
        )
        actions = list(
            AuditEvent.objects.filter(premises=world.premises)
            .order_by("id")
            .values_list("action", flat=True)
        )
        assert actions == [
            "tokens.order_drafted",
            "tokens.order_placed",
            "tokens.order_expected_delivery_set",
            "tokens.order_escalated",
            "tokens.order_received",
            "tokens.order_drafted",
            "tokens.order_cancelled",
        ]
        assert AuditEvent.objects.get(action="tokens.order_cancelled").object_id == str(
            cancelled.pk
        )


@pytest.mark.django_db
class TestWhoHandlesOrders:
    def test_staff_draft_but_do_not_place(self, world):
        order = draft(world)
        with pytest.raises(PermissionDenied):
            services.token_order_place(
                actor=world.staff, order=order, pcse_reference="PCSE-123456", placed_on=TODAY()
            )

    def test_a_pcse_orderer_on_the_staff_places_and_receives(self, world):
        PcseOrdererFactory(premises=world.premises, user=world.staff)
        order = services.token_order_place(
            actor=world.staff, order=draft(world), pcse_reference="PCSE-123456", placed_on=TODAY()
        )
        order.refresh_from_db()
        assert (order.status, order.placed_by) == ("placed", world.staff)
        assert selectors.token_figures_for(world.premises).stock == 0
        services.token_order_receive(actor=world.staff, order=order, received_on=TODAY())
        order.refresh_from_db()
        assert (order.status, order.received_by) == ("received", world.staff)
        assert selectors.token_figures_for(world.premises).stock == 1000

    def test_an_orderer_who_left_no_longer_handles_orders(self, world):
        PcseOrdererFactory(premises=world.premises, user=world.staff)
        order = draft(world)
        membership = world.staff.memberships.get()
        membership.end_date = TODAY()
        membership.save()
        world.staff.refresh_from_db()
        leaver = type(world.staff).objects.get(pk=world.staff.pk)
        with pytest.raises(PermissionDenied):
            services.token_order_place(
                actor=leaver, order=order, pcse_reference="PCSE-123456", placed_on=TODAY()
            )

    @pytest.mark.parametrize("role", ["unlocker", "other_manager", "other_head_office"])
    def test_outsiders_do_nothing(self, world, role):
        order = TokenOrderFactory(premises=world.premises, placed=True)
        outsider = getattr(world, role)
        with pytest.raises(PermissionDenied):
            services.token_order_draft(actor=outsider, premises=world.premises, packs=1)
        with pytest.raises(PermissionDenied):
            services.token_order_receive(actor=outsider, order=order, received_on=TODAY())
        with pytest.raises(PermissionDenied):
            services.token_order_cancel(actor=outsider, order=order, reason="x")

    def test_head_office_handles_orders_across_the_group(self, world):
        order = services.token_order_draft(
            actor=world.head_office, premises=world.second_premises, packs=1
        )
        services.token_order_place(
            actor=world.head_office, order=order, pcse_reference="HO-0000001", placed_on=TODAY()
        )
        order.refresh_from_db()
        assert (order.status, order.premises, order.placed_by) == (
            "placed",
            world.second_premises,
            world.head_office,
        )
        services.token_order_receive(actor=world.head_office, order=order, received_on=TODAY())
        order.refresh_from_db()
        assert order.status == "received"
        assert selectors.token_figures_for(world.second_premises).stock == 500
        assert selectors.token_figures_for(world.premises).stock == 0


@pytest.mark.django_db
class TestEscalation:
    def test_chases_are_recorded_on_the_order(self, world):
        order = TokenOrderFactory(premises=world.premises, overdue=True)
        assert order.is_overdue()
        services.token_order_escalate(
            actor=world.manager, order=order, method="written", note="  Sent   form  "
        )
        services.token_order_escalate(actor=world.manager, order=order, method="phone")
        escalations = list(selectors.escalations_for_order(order))
        assert [e.method for e in escalations] == ["phone", "written"]
        assert escalations[1].note == "Sent form"

    def test_only_placed_orders_are_chased(self, world):
        with pytest.raises(ValidationError, match="Only an order placed"):
            services.token_order_escalate(actor=world.manager, order=draft(world), method="phone")
        order = TokenOrderFactory(premises=world.premises, placed=True)
        with pytest.raises(ValidationError):
            services.token_order_escalate(actor=world.manager, order=order, method="pigeon")
        assert not OrderEscalation.objects.exists()


@pytest.mark.django_db
class TestPcseOrderers:
    def test_add_and_remove(self, world):
        orderer = services.pcse_orderer_add(
            actor=world.manager, premises=world.premises, user=world.staff
        )
        assert selectors.token_figures_for(world.premises).orderers == 1
        with pytest.raises(ValidationError, match="already linked"):
            services.pcse_orderer_add(
                actor=world.manager, premises=world.premises, user=world.staff
            )
        services.pcse_orderer_remove(actor=world.manager, orderer=orderer)
        assert selectors.token_figures_for(world.premises).orderers == 0
        assert list(
            AuditEvent.objects.filter(premises=world.premises).values_list("action", flat=True)
        ) == ["tokens.pcse_orderer_removed", "tokens.pcse_orderer_added"]

    def test_only_people_working_there(self, world):
        with pytest.raises(ValidationError, match="does not work at"):
            services.pcse_orderer_add(
                actor=world.manager, premises=world.premises, user=world.other_manager
            )

    def test_only_orderers_still_working_there_count(self, world):
        leaver = MembershipFactory(premises=world.premises, end_date=TODAY())
        PcseOrdererFactory(premises=world.premises, user=leaver.user)
        PcseOrdererFactory(premises=world.premises, user=world.manager)
        figures = selectors.token_figures_for(world.premises)
        assert figures.orderers == 1
        assert standing_from_figures(figures).figures["too_few_orderers"]

    def test_staff_cannot_change_orderers(self, world):
        with pytest.raises(PermissionDenied):
            services.pcse_orderer_add(actor=world.staff, premises=world.premises, user=world.staff)


@pytest.mark.parametrize(
    "reference", ["PCSE-123456", "123456", "AB12CD34", "ORD-2026-000123", "A1B2C3D4E5F6G7H8I9J0"]
)
def test_good_pcse_references(reference):
    validate_pcse_reference(reference)


@pytest.mark.parametrize(
    "reference",
    [
        "",
        "12345",
        "ABCDEFGH",
        "-123456",
        "123456-",
        "12--3456",
        "A1B2C3D4E5F6G7H8I9J0K",
        "PCSE 123/456",
        "<script>1234</script>",
        "１２３４５６",
        "PCSE_123456",
    ],
)
def test_bad_pcse_references(reference):
    with pytest.raises(ValidationError, match="order reference shown on PCSE Online"):
        validate_pcse_reference(reference)


@pytest.mark.django_db
def test_a_premises_page_reads_every_open_order_and_the_last_closed_ones_in_one_query(
    world, django_assert_num_queries
):
    open_orders = [TokenOrderFactory(premises=world.premises) for _ in range(3)]
    open_orders.append(TokenOrderFactory(premises=world.premises, placed=True))
    closed = [
        TokenOrderFactory(
            premises=world.premises,
            status="cancelled",
            cancel_reason="x",
            cancelled_at=timezone.now(),
        )
        for _ in range(7)
    ]
    TokenOrderFactory(premises=world.second_premises)
    selectors.orders_for_user(world.manager)  # the scope is read once per request
    with django_assert_num_queries(1):
        found_open, found_closed = selectors.premises_orders(world.manager, world.premises)
    assert found_open == sorted(open_orders, key=lambda o: (o.created_at, o.pk), reverse=True)
    assert found_closed == sorted(closed, key=lambda o: (o.created_at, o.pk), reverse=True)[:5]
    assert selectors.premises_orders(world.other_head_office, world.premises) == ([], [])
