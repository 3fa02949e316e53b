"""The outbox: tasks and emails written with the change, relayed to the broker, run once,
retried with backoff, failed with a reason, retried by hand (docs/decisions/0040-outbox.md)."""

import datetime
import smtplib

import pytest
import time_machine
from django.core import mail
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Invitation
from accounts.tasks import send_email
from outbox import services
from outbox.models import Message
from outbox.tasks import run_message
from pharmacy_portal.celery import app as celery_app
from tests.conftest import sign_in
from tests.outbox import backends

State = Message.State
EMAIL = "accounts.tasks.send_email"
DEAD_BROKER = "redis://127.0.0.1:9/0"  # the discard port: nothing listens


@pytest.fixture
def broker_down():
    """Publishing goes to a broker that refuses connections, as Redis does when down."""
    amqp = celery_app.amqp
    previous = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
    pools = (celery_app._pool, amqp._producer_pool)
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = DEAD_BROKER
    # Connections are pooled: pools of the dead broker's for the test, then the old ones.
    celery_app._pool = amqp._producer_pool = None
    yield
    celery_app.conf.task_always_eager, celery_app.conf.broker_url = previous
    celery_app._pool, amqp._producer_pool = pools


@pytest.fixture
def scripted_mail(settings):
    settings.EMAIL_BACKEND = "tests.outbox.backends.ScriptedBackend"
    backends.failures.clear()
    yield backends.failures
    backends.failures.clear()


def email(to="nia@example.test", subject="Hello"):
    """Queue one email as a service does, in its transaction, without running the commit
    callbacks (the transaction the test runs in never commits): left to the relay."""
    with transaction.atomic():
        return services.enqueue(send_email, to=to, subject=subject, body="Body")


# --- written with the change; the page answers while the broker is down -------------------


@pytest.mark.django_db
def test_saving_a_form_while_the_broker_is_down_answers_and_the_email_waits(
    world, broker_down, django_capture_on_commit_callbacks
):
    client = sign_in(Client(), world.manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("staff_invite", args=[world.premises.pk]),
            {"full_name": "Nia Jones", "email": "nia@example.test", "job_role": "technician"},
        )
    assert response.status_code == 302
    assert sign_in(Client(), world.manager).get(response.url).status_code == 200
    assert Invitation.objects.filter(email="nia@example.test").exists()
    (message,) = Message.objects.all()
    assert (message.task, message.state, message.kwargs["to"]) == (
        EMAIL,
        State.PENDING,
        "nia@example.test",
    )
    assert mail.outbox == []
    # The relay cannot publish either while the broker is down, and says so.
    with pytest.raises(Exception, match="9"):
        services.messages_relay()
    assert Message.objects.get().state == State.PENDING


@pytest.mark.django_db
def test_the_email_goes_once_the_broker_is_back(world, django_capture_on_commit_callbacks):
    message = email()
    assert services.messages_relay() == 1
    assert [m.to for m in mail.outbox] == [["nia@example.test"]]
    message.refresh_from_db()
    assert message.state == State.DONE
    assert services.messages_relay() == 0
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_change_rolled_back_queues_nothing():
    def change_that_fails():
        with transaction.atomic():
            email()
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_published_right_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = email()
    message.refresh_from_db()
    assert message.state == State.DONE
    assert len(mail.outbox) == 1


# --- relay: publishes once, idempotent ---------------------------------------------------


@pytest.mark.django_db
def test_relay_publishes_every_pending_message_once_in_batches():
    for i in range(5):
        email(to=f"p{i}@example.test")
    assert services.messages_relay(limit=2) == 5
    assert sorted(m.to[0] for m in mail.outbox) == [f"p{i}@example.test" for i in range(5)]
    assert set(Message.objects.values_list("state", flat=True)) == {State.DONE}
    assert services.messages_relay() == 0
    assert len(mail.outbox) == 5


@pytest.mark.django_db
def test_a_message_published_twice_runs_once():
    message = email()
    assert run_message.apply(kwargs={"message_id": message.pk}).get() == "done"
    assert run_message.apply(kwargs={"message_id": message.pk}).get() == "skipped"
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_message_being_run_is_not_run_by_a_second_copy():
    message = email()
    Message.objects.filter(pk=message.pk).update(
        state=State.RUNNING, claimed_until=timezone.now() + datetime.timedelta(minutes=5)
    )
    assert services.message_run(message_id=message.pk) == "skipped"
    assert mail.outbox == []


@pytest.mark.django_db
def test_relay_killed_mid_publish_leaves_the_rest_pending_and_nothing_runs_twice(
    monkeypatch,
):
    messages = [email(to=f"p{i}@example.test") for i in range(4)]
    celery_app.conf.task_always_eager = False
    sent = []

    class Killed(BaseException):
        pass

    def publish_then_die(producer, pk):
        if len(sent) == 2:
            raise Killed
        sent.append(pk)

    monkeypatch.setattr(services, "_send", publish_then_die)
    monkeypatch.setattr(services.app, "connection_for_write", FakeConnection)
    with pytest.raises(Killed):
        services.messages_relay()
    # The batch's transaction died with the relay: every row still pending.
    assert set(Message.objects.values_list("state", flat=True)) == {State.PENDING}
    monkeypatch.undo()
    celery_app.conf.task_always_eager = True
    # The two copies the broker already holds run, then the relay publishes all four.
    for pk in sent:
        run_message.apply(kwargs={"message_id": pk})
    services.messages_relay()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(m.kwargs["to"] for m in messages)


@pytest.mark.django_db
def test_a_broker_failing_part_way_marks_only_what_it_took(monkeypatch):
    for i in range(3):
        email(to=f"p{i}@example.test")
    celery_app.conf.task_always_eager = False
    taken = []

    def broker_dies_after_two(producer, pk):
        if len(taken) == 2:
            raise ConnectionError("Redis went away")
        taken.append(pk)

    monkeypatch.setattr(services, "_send", broker_dies_after_two)
    monkeypatch.setattr(services.app, "connection_for_write", FakeConnection)
    assert services.messages_publish() == 2
    assert sorted(Message.objects.filter(state=State.PUBLISHED).values_list("pk", flat=True)) == (
        sorted(taken)
    )
    assert Message.objects.filter(state=State.PENDING).count() == 1


class FakeConnection:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def ensure_connection(self, **kwargs):
        return self

    def Producer(self):
        return None


@pytest.mark.django_db
def test_messages_the_broker_lost_are_published_again(settings):
    message = email()
    now = timezone.now()
    Message.objects.filter(pk=message.pk).update(
        state=State.PUBLISHED,
        published_at=now - datetime.timedelta(seconds=settings.OUTBOX_REPUBLISH_AFTER_SECONDS + 1),
    )
    dead_run = email(to="other@example.test")
    Message.objects.filter(pk=dead_run.pk).update(
        state=State.RUNNING, claimed_until=now - datetime.timedelta(seconds=1)
    )
    assert services.messages_relay() == 2
    assert len(mail.outbox) == 2


# --- mail failures: retried with backoff, then failed with the reason --------------------


@pytest.mark.django_db
def test_a_mail_server_refusing_for_now_is_retried_with_backoff_then_sent_once(
    scripted_mail, settings
):
    settings.OUTBOX_RETRY_BASE_SECONDS = 30
    scripted_mail.extend(
        [smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), ConnectionRefusedError()]
    )
    message = email()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        services.messages_relay()
        message.refresh_from_db()
        assert (message.state, message.attempts) == (State.PENDING, 1)
        assert message.available_at == start + datetime.timedelta(seconds=30)
        assert "SMTPServerDisconnected" in message.last_error
        assert services.messages_relay() == 0  # not due yet
    with time_machine.travel(start + datetime.timedelta(seconds=31), tick=False):
        services.messages_relay()
        message.refresh_from_db()
        assert (message.state, message.attempts) == (State.PENDING, 2)
        assert message.available_at == start + datetime.timedelta(seconds=31 + 60)
    with time_machine.travel(start + datetime.timedelta(seconds=92), tick=False):
        services.messages_relay()
    message.refresh_from_db()
    assert message.state == State.DONE
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_temporary_refusal_of_the_address_is_retried(scripted_mail):
    scripted_mail.append(
        smtplib.SMTPRecipientsRefused({"nia@example.test": (451, b"4.3.0 try again later")})
    )
    message = email()
    services.messages_relay()
    message.refresh_from_db()
    assert (message.state, message.attempts) == (State.PENDING, 1)


@pytest.mark.django_db
def test_an_address_rejected_for_good_is_failed_at_once_with_the_reason(scripted_mail):
    scripted_mail.append(
        smtplib.SMTPRecipientsRefused({"nobody@example.test": (550, b"5.1.1 no such user")})
    )
    bad = email(to="nobody@example.test")
    good = email(to="nia@example.test")
    services.messages_relay()
    bad.refresh_from_db()
    assert bad.state == State.FAILED
    assert bad.last_error == (
        "Recipient refused by the mail server: nobody@example.test: 550 5.1.1 no such user"
    )
    assert Message.objects.get(pk=good.pk).state == State.DONE
    assert [m.to for m in mail.outbox] == [["nia@example.test"]]


@pytest.mark.django_db
def test_a_mail_server_down_past_the_time_to_live_is_given_up(scripted_mail, settings):
    settings.OUTBOX_TTL_SECONDS = 120
    settings.OUTBOX_RETRY_BASE_SECONDS = 30
    scripted_mail.extend([ConnectionRefusedError("refused")] * 3)
    message = email()
    start = timezone.now()
    for seconds in (0, 31, 92):
        with time_machine.travel(start + datetime.timedelta(seconds=seconds), tick=False):
            services.messages_relay()
    message.refresh_from_db()
    assert message.state == State.FAILED
    assert message.attempts == 3
    assert message.last_error.startswith("Gave up after 3 attempts. ConnectionRefusedError")
    assert mail.outbox == []


def test_backoff_doubles_up_to_its_cap(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 30
    settings.OUTBOX_RETRY_MAX_SECONDS = 300
    assert [services.backoff(n).total_seconds() for n in range(1, 7)] == [
        30,
        60,
        120,
        240,
        300,
        300,
    ]


# --- bad entries: failed with the reason, the relay goes on -----------------------------


@pytest.mark.django_db
def test_an_entry_past_its_time_to_live_is_failed_and_the_relay_goes_on(settings):
    settings.OUTBOX_TTL_SECONDS = 3600
    old = email(to="old@example.test")
    later = timezone.now() + datetime.timedelta(hours=1, seconds=1)
    with time_machine.travel(later, tick=False):
        fresh = email(to="fresh@example.test")
        services.messages_relay()
    old.refresh_from_db()
    assert old.state == State.FAILED
    assert old.last_error.startswith("Not sent within its time to live (1 hours)")
    assert Message.objects.get(pk=fresh.pk).state == State.DONE
    assert [m.to for m in mail.outbox] == [["fresh@example.test"]]


@pytest.mark.django_db
def test_an_unknown_task_after_a_rename_is_failed_and_the_relay_goes_on():
    renamed = services.enqueue("accounts.tasks.send_mail_renamed", to="a@example.test")
    after = email()
    services.messages_relay()
    renamed.refresh_from_db()
    assert renamed.state == State.FAILED
    assert renamed.last_error == (
        "Unknown task 'accounts.tasks.send_mail_renamed': renamed or removed since it was queued."
    )
    assert Message.objects.get(pk=after.pk).state == State.DONE


@pytest.mark.django_db
def test_a_payload_that_no_longer_fits_its_task_is_failed():
    stale = services.enqueue(EMAIL, recipient="a@example.test", subject="x", body="y")
    services.messages_relay()
    stale.refresh_from_db()
    assert stale.state == State.FAILED
    assert "arguments no longer match task 'accounts.tasks.send_email'" in stale.last_error
    # And the worker says the same if it changed between publishing and running.
    other = email()
    Message.objects.filter(pk=other.pk).update(kwargs={"to": "a@example.test"})
    assert services.message_run(message_id=other.pk) == "failed"
    assert mail.outbox == []


# --- retry by hand: portal admins, audited, sent once ----------------------------------


def failed_email(scripted_mail):
    scripted_mail.append(
        smtplib.SMTPRecipientsRefused({"nia@example.test": (550, b"5.1.1 mailbox full")})
    )
    message = email()
    services.messages_relay()
    message.refresh_from_db()
    assert message.state == State.FAILED
    return message


@pytest.mark.django_db
def test_a_portal_admin_retries_a_failed_message_audited_and_sent_once(
    world, scripted_mail, django_capture_on_commit_callbacks
):
    message = failed_email(scripted_mail)
    client = sign_in(Client(), world.portal_admin)
    url = reverse("outbox_retry", args=[message.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    assert response.url == reverse("outbox_list")
    message.refresh_from_db()
    assert message.state == State.DONE
    assert len(mail.outbox) == 1
    event = AuditEvent.objects.get(action="outbox_message.retried")
    assert (event.actor, event.object_id) == (world.portal_admin, str(message.pk))
    assert event.changes["reason"].endswith("550 5.1.1 mailbox full")
    # Pressed again (a second tab): it has not failed, so it is not sent again.
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(url, follow=True)
    assert "has not failed: it was not sent again" in again.content.decode()
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action="outbox_message.retried").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["staff", "manager", "unlocker", "head_office"])
def test_only_portal_admins_may_retry(world, scripted_mail, role):
    message = failed_email(scripted_mail)
    response = sign_in(Client(), world.user(role)).post(reverse("outbox_retry", args=[message.pk]))
    assert response.status_code == 404
    assert Message.objects.get(pk=message.pk).state == State.FAILED
    assert not AuditEvent.objects.filter(action="outbox_message.retried").exists()


@pytest.mark.django_db
def test_retrying_a_message_that_does_not_exist_is_404(world):
    response = sign_in(Client(), world.portal_admin).post(reverse("outbox_retry", args=[999999]))
    assert response.status_code == 404


# --- the page ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_outbox_page_lists_failed_retried_and_waiting_with_age_and_reason(
    world, scripted_mail, django_assert_num_queries
):
    failed = failed_email(scripted_mail)
    scripted_mail.append(ConnectionRefusedError("Connection refused"))
    retrying = email(to="later@example.test", subject="Try later")
    services.messages_relay()
    for i in range(3):
        email(to=f"w{i}@example.test", subject=f"Waiting {i}")
    client = sign_in(Client(), world.portal_admin)
    client.get(reverse("outbox_list"))
    # The same queries however many messages: the totals and one per section, with what
    # every page reads (session, user, two-factor device, standings of the home panel).
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("outbox_list"))
    for i in range(3, 9):
        email(to=f"w{i}@example.test", subject=f"Waiting {i}")
    with django_assert_num_queries(len(few.captured_queries)):
        html = client.get(reverse("outbox_list")).content.decode()
    outbox_queries = [q for q in few.captured_queries if "outbox_message" in q["sql"]]
    assert len(outbox_queries) == 4
    failed_at = html.index(f'id="message-{failed.pk}"')
    retrying_at = html.index(f'id="message-{retrying.pk}"')
    assert failed_at < retrying_at < html.index("Email to w8@example.test: Waiting 8") + 1
    assert "550 5.1.1 mailbox full" in html
    assert "ConnectionRefusedError: Connection refused" in html
    assert "Next try" in html
    assert html.count(">Retry<") == 1
    assert reverse("outbox_retry", args=[failed.pk]) in html
    assert "ago</span>" in html


@pytest.mark.django_db
def test_jobs_page_links_to_the_outbox(world):
    html = sign_in(Client(), world.portal_admin).get(reverse("job_list")).content.decode()
    assert reverse("outbox_list") in html
