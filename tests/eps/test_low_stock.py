"""The daily low-stock job: one email per low-stock episode, safe to run twice."""

import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import AuditEvent
from eps import services
from eps.models import TokenSettings
from eps.tasks import alert_low_token_stock, check_low_token_stock
from tests.eps.factories import TokenOrderFactory, movement
from tests.factories import MembershipFactory


def make_low(premises, stock=20, per_day=10):
    """Ten days of use at per_day, leaving `stock` tokens: under the 14-day reorder point
    whenever stock < 14 * per_day."""
    movement(premises, stock + per_day * 10, days_ago=10)
    for days_ago in range(10):
        movement(premises, -per_day, days_ago=days_ago)


def run_job(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        check_low_token_stock.delay()


def token_emails():
    return [m for m in mail.outbox if "EPS tokens running low" in m.subject]


@pytest.mark.django_db
class TestLowStockJob:
    def test_managers_are_emailed_once_per_episode(self, world, django_capture_on_commit_callbacks):
        second_manager = MembershipFactory(premises=world.premises, is_manager=True).user
        make_low(world.premises)
        run_job(django_capture_on_commit_callbacks)
        emails = token_emails()
        assert sorted(m.to[0] for m in emails) == sorted(
            [world.manager.email, second_manager.email]
        )
        body = emails[0].body
        assert "Tokens in stock: 20" in body
        assert "Days of cover: about 2" in body
        assert f"/premises/{world.premises.pk}/tokens/" in body
        assert world.staff.email not in [m.to[0] for m in emails]

        run_job(django_capture_on_commit_callbacks)
        assert len(token_emails()) == 2, "the same episode is not emailed again"
        event = AuditEvent.objects.get(action="tokens.low_stock_alerted")
        assert event.actor_label == "system: eps low-stock job"
        assert event.premises == world.premises

    def test_a_new_episode_after_recovery_is_emailed_again(
        self, world, django_capture_on_commit_callbacks
    ):
        make_low(world.premises)
        run_job(django_capture_on_commit_callbacks)
        assert len(token_emails()) == 1
        order = TokenOrderFactory(premises=world.premises, placed=True, packs=1)
        with django_capture_on_commit_callbacks(execute=True):
            services.token_order_receive(
                actor=world.manager, order=order, received_on=timezone.localdate()
            )
        assert TokenSettings.objects.get(premises=world.premises).low_stock_alerted_at is None
        run_job(django_capture_on_commit_callbacks)
        assert len(token_emails()) == 1, "recovered: nothing to say"
        services.token_usage_record(
            actor=world.staff, premises=world.premises, quantity=450, if_already="add"
        )
        run_job(django_capture_on_commit_callbacks)
        assert len(token_emails()) == 2

    def test_the_sweep_ends_an_episode_that_recovered(
        self, world, django_capture_on_commit_callbacks
    ):
        make_low(world.premises)
        run_job(django_capture_on_commit_callbacks)
        movement(world.premises, 1000)  # a delivery recorded some other way
        run_job(django_capture_on_commit_callbacks)
        assert TokenSettings.objects.get(premises=world.premises).low_stock_alerted_at is None

    def test_a_placed_order_stops_the_email_but_a_draft_does_not(
        self, world, django_capture_on_commit_callbacks
    ):
        make_low(world.premises)
        make_low(world.second_premises)
        TokenOrderFactory(premises=world.premises, placed=True)
        TokenOrderFactory(premises=world.second_premises)
        MembershipFactory(premises=world.second_premises, is_manager=True)
        run_job(django_capture_on_commit_callbacks)
        assert [m.subject for m in token_emails()] == [
            f"EPS tokens running low at {world.second_premises.name}"
        ]

    def test_no_usage_history_is_never_low(self, world, django_capture_on_commit_callbacks):
        run_job(django_capture_on_commit_callbacks)
        movement(world.premises, 5)
        run_job(django_capture_on_commit_callbacks)
        assert token_emails() == []

    def test_without_a_manager_head_office_is_told(self, world, django_capture_on_commit_callbacks):
        make_low(world.second_premises)
        run_job(django_capture_on_commit_callbacks)
        assert [m.to for m in token_emails()] == [[world.head_office.email]]

    def test_the_alert_task_twice_sends_once(self, world, django_capture_on_commit_callbacks):
        make_low(world.premises)
        with django_capture_on_commit_callbacks(execute=True):
            assert alert_low_token_stock.delay(world.premises.pk).get() is True
        with django_capture_on_commit_callbacks(execute=True):
            assert alert_low_token_stock.delay(world.premises.pk).get() is False
        assert len(token_emails()) == 1

    def test_the_alert_rechecks_before_sending(self, world, django_capture_on_commit_callbacks):
        make_low(world.premises)
        ids = services.token_low_stock_sweep()
        assert ids == [world.premises.pk]
        TokenOrderFactory(premises=world.premises, placed=True)
        with django_capture_on_commit_callbacks(execute=True):
            assert services.token_low_stock_alert(premises_id=world.premises.pk) is False
        assert token_emails() == []

    def test_sweep_reads_every_premises_in_a_fixed_number_of_queries(
        self, world, django_assert_num_queries
    ):
        make_low(world.premises)
        # its savepoint, the one read of every premises' figures, the release
        with django_assert_num_queries(3):
            services.token_low_stock_sweep()
        make_low(world.second_premises)
        make_low(world.other_premises)
        TokenSettings.objects.create(
            premises=world.other_premises, low_stock_alerted_at=timezone.now()
        )
        movement(world.other_premises, 5000)
        # and one update ending the episodes of every premises that recovered
        with django_assert_num_queries(4):
            services.token_low_stock_sweep()


def test_low_stock_email_once_through_a_real_worker(real_celery_worker, world):
    make_low(world.premises)

    def wait_for_emails(count):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            settings_row = TokenSettings.objects.filter(premises=world.premises).first()
            if len(token_emails()) >= count and settings_row and settings_row.low_stock_alerted_at:
                return
            time.sleep(0.1)
        raise AssertionError(f"expected {count} low-stock email(s), got {len(token_emails())}")

    check_low_token_stock.delay().get(timeout=30)
    wait_for_emails(1)
    check_low_token_stock.delay().get(timeout=30)
    alert_low_token_stock.delay(world.premises.pk).get(timeout=30)
    time.sleep(0.5)
    assert [m.to for m in token_emails()] == [[world.manager.email]]
    assert timezone.now() - TokenSettings.objects.get(
        premises=world.premises
    ).low_stock_alerted_at < timedelta(minutes=1)
