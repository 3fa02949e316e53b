"""Stock as a ledger: arithmetic, the never-negative rule, bad quantities, audit, and
concurrent movements on PostgreSQL."""

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import AuditEvent
from eps import selectors, services
from eps.models import StockMovement, TokenSettings
from tests.eps.factories import movement


def stock(premises):
    return selectors.token_figures_for(premises).stock


@pytest.mark.django_db
class TestLedger:
    def test_stock_is_the_sum_of_movements(self, world):
        movement(world.premises, 500)
        services.token_usage_record(actor=world.staff, premises=world.premises, quantity=40)
        services.token_usage_record(
            actor=world.staff, premises=world.premises, quantity=60, period_days=7
        )
        services.token_count_record(
            actor=world.manager, premises=world.premises, counted=390, reason="Spoilt tokens"
        )
        assert stock(world.premises) == 390
        adjustment = StockMovement.objects.get(kind="adjustment")
        assert (adjustment.quantity, adjustment.reason) == (-10, "Spoilt tokens")
        assert StockMovement.objects.filter(premises=world.premises).count() == 4

    def test_usage_returns_the_stock_after(self, world):
        movement(world.premises, 100)
        usage, after = services.token_usage_record(
            actor=world.staff, premises=world.premises, quantity=25
        )
        assert (usage.quantity, usage.kind, after) == (-25, "usage", 75)
        assert usage.covers_from == usage.occurred_on == timezone.localdate()

    def test_week_of_usage_covers_seven_days(self, world):
        movement(world.premises, 100)
        usage, _ = services.token_usage_record(
            actor=world.staff, premises=world.premises, quantity=70, period_days=7
        )
        assert usage.covers_from == usage.occurred_on - timedelta(days=6)

    def test_usage_beyond_the_stock_is_refused_with_the_figure(self, world):
        movement(world.premises, 30)
        with pytest.raises(ValidationError) as raised:
            services.token_usage_record(actor=world.staff, premises=world.premises, quantity=31)
        assert "more than the 30 tokens in stock" in raised.value.message_dict["quantity"][0]
        assert stock(world.premises) == 30
        services.token_usage_record(actor=world.staff, premises=world.premises, quantity=30)
        assert stock(world.premises) == 0

    def test_no_stock_at_all_refuses_usage(self, world):
        with pytest.raises(ValidationError, match="more than the 0 tokens"):
            services.token_usage_record(actor=world.staff, premises=world.premises, quantity=1)

    @pytest.mark.parametrize("quantity", [0, -5, 1.5, "12", True, None, 100_001, 10**30])
    def test_bad_usage_quantities(self, world, quantity):
        movement(world.premises, 1000)
        with pytest.raises(ValidationError) as raised:
            services.token_usage_record(
                actor=world.staff, premises=world.premises, quantity=quantity
            )
        assert "quantity" in raised.value.message_dict
        assert stock(world.premises) == 1000

    @pytest.mark.parametrize(
        ("days", "message"), [(-1, "today or in the past"), (91, "within the last 90 days")]
    )
    def test_usage_dates_out_of_range(self, world, days, message):
        movement(world.premises, 100)
        with pytest.raises(ValidationError, match=message):
            services.token_usage_record(
                actor=world.staff,
                premises=world.premises,
                quantity=1,
                occurred_on=timezone.localdate() - timedelta(days=days),
            )

    def test_period_must_be_a_day_or_a_week(self, world):
        movement(world.premises, 100)
        with pytest.raises(ValidationError, match="one day's or a week's"):
            services.token_usage_record(
                actor=world.staff, premises=world.premises, quantity=1, period_days=3
            )

    @pytest.mark.parametrize(
        ("counted", "reason", "field"),
        [
            (-1, "x", "counted"),
            (100_001, "x", "counted"),
            (1.5, "x", "counted"),
            (5, "  ", "reason"),
        ],
    )
    def test_bad_counts(self, world, counted, reason, field):
        movement(world.premises, 10)
        with pytest.raises(ValidationError) as raised:
            services.token_count_record(
                actor=world.manager, premises=world.premises, counted=counted, reason=reason
            )
        assert field in raised.value.message_dict
        assert stock(world.premises) == 10

    def test_a_count_matching_the_ledger_changes_nothing(self, world):
        movement(world.premises, 10)
        with pytest.raises(ValidationError, match="count matches"):
            services.token_count_record(
                actor=world.manager, premises=world.premises, counted=10, reason="Checked"
            )

    def test_count_to_zero(self, world):
        movement(world.premises, 10)
        services.token_count_record(
            actor=world.manager, premises=world.premises, counted=0, reason="Water damage"
        )
        assert stock(world.premises) == 0

    def test_staff_record_usage_but_only_managers_count(self, world):
        movement(world.premises, 10)
        with pytest.raises(PermissionDenied):
            services.token_count_record(
                actor=world.staff, premises=world.premises, counted=5, reason="x"
            )
        for outsider in (world.unlocker, world.other_manager):
            with pytest.raises(PermissionDenied):
                services.token_usage_record(actor=outsider, premises=world.premises, quantity=1)

    def test_every_movement_is_audited(self, world):
        movement(world.premises, 100)
        services.token_usage_record(actor=world.staff, premises=world.premises, quantity=5)
        services.token_count_record(
            actor=world.manager, premises=world.premises, counted=90, reason="Recount"
        )
        events = AuditEvent.objects.filter(premises=world.premises).order_by("id")
        assert [(e.action, e.actor) for e in events] == [
            ("tokens.usage_recorded", world.staff),
            ("tokens.count_recorded", world.manager),
        ]
        assert events[0].changes["stock_after"] == 95
        assert events[1].changes == {
            "counted": 90,
            "was": 95,
            "difference": -5,
            "reason": "Recount",
        }

    def test_settings_are_data_with_defaults(self, world):
        figures = selectors.token_figures_for(world.premises)
        assert (figures.pack_size, figures.lead_time_days, figures.safety_margin_days) == (
            500,
            7,
            7,
        )
        services.token_settings_update(
            actor=world.manager,
            premises=world.premises,
            pack_size=250,
            lead_time_days=10,
            safety_margin_days=0,
        )
        figures = selectors.token_figures_for(world.premises)
        assert (figures.pack_size, figures.reorder_days) == (250, 10)
        event = AuditEvent.objects.get(action="tokens.settings_changed")
        assert event.changes["pack_size"] == [500, 250]
        with pytest.raises(ValidationError):
            services.token_settings_update(
                actor=world.manager,
                premises=world.premises,
                pack_size=0,
                lead_time_days=10,
                safety_margin_days=0,
            )


@pytest.mark.django_db
class TestConstraintsInTheDatabase:
    @pytest.mark.parametrize(
        ("kind", "quantity", "reason"),
        [
            ("usage", 5, ""),
            ("delivery", -5, ""),
            ("adjustment", 5, ""),
            ("adjustment", 0, "why"),
            ("delivery", 100_001, ""),
            ("stolen", 5, ""),
        ],
    )
    def test_movement_shape(self, world, kind, quantity, reason):
        with pytest.raises(IntegrityError), transaction.atomic():
            movement(world.premises, quantity, kind=kind, reason=reason)

    def test_week_only_for_usage(self, world):
        with pytest.raises(IntegrityError), transaction.atomic():
            movement(world.premises, 5, kind="delivery", period_days=7)

    def test_settings_ranges(self, world):
        with pytest.raises(IntegrityError), transaction.atomic():
            TokenSettings.objects.create(premises=world.premises, lead_time_days=0)


def _record_usage_at_once(premises, actor, quantities, monkeypatch):
    """Record usages in parallel threads, each pausing between reading the stock and
    writing its movement, the window in which a lost update would happen. Each says to
    add to usage already recorded that day (two people recording one busy day), so
    only the ledger's own checks can refuse one."""
    real_stock = services.stock._stock
    barrier = threading.Barrier(len(quantities))

    def slow_stock(p):
        value = real_stock(p)
        threading.Event().wait(0.3)
        return value

    monkeypatch.setattr(services.stock, "_stock", slow_stock)
    outcomes = []

    def work(quantity):
        try:
            barrier.wait()
            services.token_usage_record(
                actor=actor, premises=premises, quantity=quantity, if_already="add"
            )
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(q,)) for q in quantities]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(outcomes)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite locks the file)"
)
class TestConcurrentMovements:
    def test_two_usages_at_the_same_moment_both_count(self, world, transactional_db, monkeypatch):
        movement(world.premises, 100)
        TokenSettings.objects.create(premises=world.premises)
        outcomes = _record_usage_at_once(world.premises, world.staff, [30, 20], monkeypatch)
        assert outcomes == ["ok", "ok"]
        assert stock(world.premises) == 50

    def test_the_never_negative_check_sees_the_other_usage(
        self, world, transactional_db, monkeypatch
    ):
        movement(world.premises, 10)
        TokenSettings.objects.create(premises=world.premises)
        outcomes = _record_usage_at_once(world.premises, world.staff, [6, 6], monkeypatch)
        assert outcomes == ["ok", "refused"]
        assert stock(world.premises) == 4

    def test_first_movements_of_a_premises_create_one_settings_row(
        self, world, transactional_db, monkeypatch
    ):
        movement(world.premises, 100)
        assert not TokenSettings.objects.exists()
        outcomes = _record_usage_at_once(world.premises, world.staff, [1, 1, 1], monkeypatch)
        assert outcomes == ["ok", "ok", "ok"]
        assert TokenSettings.objects.filter(premises=world.premises).count() == 1
        assert stock(world.premises) == 97
