"""Certificate reminders and escalations: each sent once, however often the jobs run."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuditEvent
from outbox.models import Message
from smartcards import services, tasks
from smartcards.models import SmartcardRequest
from tests.factories import MembershipFactory, UnlockerCoverFactory, UserFactory
from tests.smartcards.factories import SmartcardRequestFactory, claimed, holder_for

pytestmark = pytest.mark.django_db

EXPIRES = datetime(2026, 12, 31).date()


def on(day):
    return time_machine.travel(
        timezone.make_aware(datetime.combine(day, datetime.min.time()) + timedelta(hours=7)),
        tick=False,
    )


def run_reminders(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return tasks.send_certificate_reminders.delay().get()


def recipients():
    return sorted(message.to[0] for message in mail.outbox)


class TestCertificateReminders:
    @pytest.fixture
    def expiring(self, world):
        return holder_for(world.staff, certificate_expires_on=EXPIRES)

    def test_nothing_before_the_window(self, world, expiring, django_capture_on_commit_callbacks):
        with on(EXPIRES - timedelta(days=91)):
            assert run_reminders(django_capture_on_commit_callbacks) == 0
        assert mail.outbox == []

    def test_entering_the_window_then_close_to_expiry(
        self, world, expiring, django_capture_on_commit_callbacks
    ):
        with on(EXPIRES - timedelta(days=90)):
            assert run_reminders(django_capture_on_commit_callbacks) == 1
            assert run_reminders(django_capture_on_commit_callbacks) == 0
        # The holder and their premises manager, once each.
        assert recipients() == sorted([world.staff.email, world.manager.email])
        assert mail.outbox[0].subject == "Smartcard certificates can now be renewed"
        manager_mail = next(m for m in mail.outbox if m.to == [world.manager.email])
        assert "Sam Staff's smartcard" in manager_mail.body
        assert f"?holder={expiring.pk}&kind=renew" in manager_mail.body

        mail.outbox.clear()
        with on(EXPIRES - timedelta(days=30)):
            assert run_reminders(django_capture_on_commit_callbacks) == 0
        with on(EXPIRES - timedelta(days=14)):
            assert run_reminders(django_capture_on_commit_callbacks) == 1
            assert run_reminders(django_capture_on_commit_callbacks) == 0
        assert recipients() == sorted([world.staff.email, world.manager.email])
        assert "expire on 31 December 2026" in mail.outbox[0].subject
        assert "in 14 days" in mail.outbox[0].body
        assert (
            AuditEvent.objects.filter(
                action__startswith="smartcard_holder.reminder_", actor_label__startswith="system:"
            ).count()
            == 2
        )

    def test_late_record_gets_only_the_final_reminder(
        self, world, expiring, django_capture_on_commit_callbacks
    ):
        with on(EXPIRES - timedelta(days=5)):
            run_reminders(django_capture_on_commit_callbacks)
            run_reminders(django_capture_on_commit_callbacks)
        assert len(mail.outbox) == 2  # holder and manager, one reminder each

    def test_expired_certificates_get_no_reminder(
        self, world, expiring, django_capture_on_commit_callbacks
    ):
        with on(EXPIRES + timedelta(days=1)):
            assert run_reminders(django_capture_on_commit_callbacks) == 0

    def test_a_renewed_card_starts_a_new_cycle(
        self, world, expiring, django_capture_on_commit_callbacks
    ):
        with on(EXPIRES - timedelta(days=10)):
            run_reminders(django_capture_on_commit_callbacks)
        expiring.certificate_expires_on = EXPIRES + timedelta(days=730)
        expiring.save()
        mail.outbox.clear()
        with on(EXPIRES + timedelta(days=730 - 90)):
            assert run_reminders(django_capture_on_commit_callbacks) == 1
        assert len(mail.outbox) == 2

    def test_the_single_task_is_idempotent(
        self, world, expiring, django_capture_on_commit_callbacks
    ):
        with on(EXPIRES - timedelta(days=60)), django_capture_on_commit_callbacks(execute=True):
            assert tasks.send_certificate_reminder.delay(expiring.pk).get() == "renewal"
            assert tasks.send_certificate_reminder.delay(expiring.pk).get() is None
            assert tasks.send_certificate_reminder.delay(999999).get() is None
        assert len(mail.outbox) == 2


TEXT_TASK = "accounts.tasks.send_text"
MOBILE = "+447700900123"


def texts():
    return list(Message.objects.filter(task=TEXT_TASK).order_by("pk"))


class TestTextReminders:
    """A holder who gave a mobile number is texted each reminder too, where GOV.UK Notify
    is configured (decisions/0041): once per reminder, like the emails."""

    @pytest.fixture
    def expiring(self, world):
        return holder_for(world.staff, certificate_expires_on=EXPIRES, reminder_mobile=MOBILE)

    def test_no_text_without_notify(
        self, world, expiring, settings, django_capture_on_commit_callbacks
    ):
        settings.NOTIFY_API_KEY = ""
        with on(EXPIRES - timedelta(days=90)):
            assert run_reminders(django_capture_on_commit_callbacks) == 1
        assert texts() == []
        assert recipients() == sorted([world.staff.email, world.manager.email])
        event = AuditEvent.objects.get(action="smartcard_holder.reminder_renewal")
        assert "text_message" not in event.changes

    def test_each_reminder_is_texted_once(
        self, world, expiring, notify, settings, django_capture_on_commit_callbacks
    ):
        with on(EXPIRES - timedelta(days=90)):
            assert run_reminders(django_capture_on_commit_callbacks) == 1
            assert run_reminders(django_capture_on_commit_callbacks) == 0
            assert services.certificate_reminder_send(holder_id=expiring.pk) is None
        (text,) = texts()
        assert text.kwargs == {
            "to": MOBILE,
            "body": "Pharmacy Digital Portal: your smartcard certificates can now be renewed. "
            "They expire on 31 December 2026. Ask your local smartcard unlocker to renew "
            f"them: {settings.PORTAL_BASE_URL}",
        }
        assert text.state == Message.State.DONE
        sms = [r for r in notify.requests if r["path"] == "/v2/notifications/sms"]
        assert [r["body"]["phone_number"] for r in sms] == [MOBILE]
        assert sms[0]["body"]["personalisation"] == {"body": text.kwargs["body"]}

        with on(EXPIRES - timedelta(days=14)):
            assert run_reminders(django_capture_on_commit_callbacks) == 1
            assert run_reminders(django_capture_on_commit_callbacks) == 0
        _renewal, final = texts()
        assert final.kwargs["to"] == MOBILE
        assert final.kwargs["body"].startswith(
            "Pharmacy Digital Portal: your smartcard certificates expire on 31 December 2026, "
            "in 14 days. Ask your local smartcard unlocker to renew them before then"
        )
        events = AuditEvent.objects.filter(action__startswith="smartcard_holder.reminder_")
        assert [event.changes["text_message"] for event in events] == [True, True]
        # That a text went, never the number.
        assert not AuditEvent.objects.filter(changes__icontains="7700").exists()

    def test_a_late_record_gets_one_text(
        self, world, expiring, notify, django_capture_on_commit_callbacks
    ):
        with on(EXPIRES - timedelta(days=5)):
            run_reminders(django_capture_on_commit_callbacks)
            run_reminders(django_capture_on_commit_callbacks)
        (text,) = texts()
        assert "in 5 days" in text.kwargs["body"]

    def test_no_number_no_text(self, world, notify, django_capture_on_commit_callbacks):
        holder_for(world.staff, certificate_expires_on=EXPIRES)
        with on(EXPIRES - timedelta(days=90)):
            assert run_reminders(django_capture_on_commit_callbacks) == 1
        assert texts() == []

    def test_someone_no_longer_active_is_not_texted(
        self, world, expiring, notify, django_capture_on_commit_callbacks
    ):
        world.staff.is_active = False
        world.staff.save()
        with on(EXPIRES - timedelta(days=90)):
            assert run_reminders(django_capture_on_commit_callbacks) == 1
        assert texts() == []

    def test_managers_are_emailed_not_texted(
        self, world, expiring, notify, django_capture_on_commit_callbacks
    ):
        holder_for(world.manager, reminder_mobile="+447700900555")
        with on(EXPIRES - timedelta(days=90)):
            assert run_reminders(django_capture_on_commit_callbacks) == 1
        assert [text.kwargs["to"] for text in texts()] == [MOBILE]


class TestEscalation:
    @pytest.fixture
    def waiting(self, world):
        holder = holder_for(world.staff)
        smartcard_request = SmartcardRequestFactory(
            holder=holder, premises=world.premises, urgent=True
        )
        SmartcardRequest.objects.filter(pk=smartcard_request.pk).update(
            waiting_since=timezone.now() - timedelta(minutes=31)
        )
        return smartcard_request

    def run(self, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            return tasks.escalate_waiting_requests.delay().get()

    def test_escalates_once_to_covering_unlockers_and_admins(
        self, world, waiting, django_capture_on_commit_callbacks
    ):
        org_unlocker = UnlockerCoverFactory(
            premises=None, organisation=world.premises.organisation
        ).unlocker
        UserFactory(is_portal_admin=True, is_active=False)
        elsewhere = UnlockerCoverFactory(premises=world.other_premises).unlocker
        assert self.run(django_capture_on_commit_callbacks) == 1
        assert self.run(django_capture_on_commit_callbacks) == 0
        assert recipients() == sorted(
            [world.unlocker.email, org_unlocker.email, world.portal_admin.email]
        )
        assert elsewhere.email not in recipients()
        assert mail.outbox[0].subject.startswith("Urgent smartcard request waiting unclaimed")
        assert "more than 30 minutes" in mail.outbox[0].body
        waiting.refresh_from_db()
        assert waiting.escalated_at is not None
        assert waiting.events.filter(action="escalated").count() == 1
        assert AuditEvent.objects.filter(action="smartcard_request.escalated").count() == 1

    def test_not_before_the_configured_time(
        self, world, waiting, settings, django_capture_on_commit_callbacks
    ):
        settings.SMARTCARD_ESCALATE_AFTER_MINUTES = 45
        assert self.run(django_capture_on_commit_callbacks) == 0
        assert mail.outbox == []

    def test_claimed_requests_are_not_escalated(
        self, world, waiting, django_capture_on_commit_callbacks
    ):
        claimed(waiting, world.unlocker)
        assert self.run(django_capture_on_commit_callbacks) == 0
        assert services.smartcard_request_escalate(request_id=waiting.pk) is False

    def test_released_request_waits_afresh(
        self, world, waiting, django_capture_on_commit_callbacks
    ):
        self.run(django_capture_on_commit_callbacks)
        services.smartcard_request_claim(actor=world.unlocker, smartcard_request=waiting)
        services.smartcard_request_release(actor=world.unlocker, smartcard_request=waiting)
        mail.outbox.clear()
        assert self.run(django_capture_on_commit_callbacks) == 0
        with time_machine.travel(timezone.now() + timedelta(minutes=31)):
            assert self.run(django_capture_on_commit_callbacks) == 1


def without_outbox_writes(captured):
    """Queries but the outbox rows written, one per email (outbox/services.py enqueue)."""
    return sum("outbox_message" not in q["sql"] for q in captured.captured_queries)


class TestBatches:
    """The jobs work in batches: the queries of a batch do not grow with its people, and a
    job queues one task per batch, not one per holder or request."""

    def due_holders(self, world, count, **fields):
        holders = []
        for _ in range(count):
            person = MembershipFactory(premises=world.premises).user
            holders.append(holder_for(person, certificate_expires_on=EXPIRES, **fields))
        return holders

    def reminder_queries(self, world, count, **fields):
        holders = self.due_holders(world, count, **fields)
        with on(EXPIRES - timedelta(days=90)), CaptureQueriesContext(connection) as captured:
            sent = services.certificate_reminders_send(holder_ids=[h.pk for h in holders])
        assert set(sent) == {h.pk for h in holders}
        return without_outbox_writes(captured)

    def test_reminder_queries_do_not_grow_with_the_batch(self, world):
        small = self.reminder_queries(world, 2)
        large = self.reminder_queries(world, 8)
        assert large == small

    def test_texting_the_batch_costs_no_query_more(self, world, settings):
        # Nothing is delivered here (the on-commit publishing never runs), so Notify's
        # settings alone are enough; the numbers come with the holders' rows.
        without_texts = self.reminder_queries(world, 2)
        settings.NOTIFY_API_KEY = "portal_test-not-a-real-key"
        small = self.reminder_queries(world, 2, reminder_mobile=MOBILE)
        large = self.reminder_queries(world, 8, reminder_mobile=MOBILE)
        assert large == small == without_texts
        assert len(texts()) == 10

    def test_reminders_go_out_in_batches(
        self, world, monkeypatch, django_capture_on_commit_callbacks
    ):
        monkeypatch.setattr(tasks, "BATCH", 2)
        batches = []
        original = services.certificate_reminders_send

        def spy(*, holder_ids, today=None):
            batches.append(list(holder_ids))
            return original(holder_ids=holder_ids, today=today)

        monkeypatch.setattr(services, "certificate_reminders_send", spy)
        holders = self.due_holders(world, 5)
        with on(EXPIRES - timedelta(days=90)):
            assert run_reminders(django_capture_on_commit_callbacks) == 5
        assert [len(batch) for batch in batches] == [2, 2, 1]
        assert sorted(pk for batch in batches for pk in batch) == sorted(h.pk for h in holders)
        # Each holder and the premises manager, once per holder.
        assert len(mail.outbox) == 10

    def waiting_requests(self, world, count):
        made = []
        for _ in range(count):
            person = MembershipFactory(premises=world.premises).user
            made.append(SmartcardRequestFactory(holder=holder_for(person), premises=world.premises))
        SmartcardRequest.objects.filter(pk__in=[r.pk for r in made]).update(
            waiting_since=timezone.now() - timedelta(minutes=31)
        )
        return made

    def test_escalation_queries_do_not_grow_with_the_batch(self, world):
        counts = []
        for count in (2, 8):
            waiting = self.waiting_requests(world, count)
            with CaptureQueriesContext(connection) as captured:
                escalated = services.smartcard_requests_escalate(
                    request_ids=[r.pk for r in waiting]
                )
            assert sorted(escalated) == sorted(r.pk for r in waiting)
            counts.append(without_outbox_writes(captured))
        assert counts[0] == counts[1]
        assert SmartcardRequest.objects.filter(escalated_at__isnull=False).count() == 10
