"""GOV.UK Notify as the sender: through a stub of Notify's HTTP API on loopback, never the
network. Email through the email template, text messages only where Notify is set up,
refusals of a recipient failed at once, Notify down retried."""

import jwt
import pytest
from django.core import mail

from accounts.emails import queue_text
from accounts.tasks import send_email
from outbox import services
from outbox.models import Message
from tests.outbox.notify_stub import EMAIL_TEMPLATE, SECRET, SERVICE_ID, SMS_TEMPLATE


@pytest.mark.django_db
def test_email_goes_through_notifys_template_with_the_portals_words(notify):
    message = services.enqueue(
        send_email, to="nia@example.test", subject="Join Calder Pharmacy", body="Hello Nia"
    )
    services.messages_relay()
    (request,) = notify.requests
    assert request["path"] == "/v2/notifications/email"
    assert request["body"] == {
        "email_address": "nia@example.test",
        "template_id": EMAIL_TEMPLATE,
        "personalisation": {"subject": "Join Calder Pharmacy", "body": "Hello Nia"},
    }
    token = request["authorization"].removeprefix("Bearer ")
    assert jwt.decode(token, SECRET, algorithms=["HS256"])["iss"] == SERVICE_ID
    message.refresh_from_db()
    assert message.state == Message.State.DONE
    assert mail.outbox == []


@pytest.mark.django_db
def test_an_address_notify_refuses_is_failed_with_its_reason_and_not_retried(notify):
    notify.refuse(400, "email_address Not a valid email address")
    message = services.enqueue(send_email, to="not-an-address", subject="S", body="B")
    services.messages_relay()
    message.refresh_from_db()
    assert message.state == Message.State.FAILED
    assert "GOV.UK Notify refused it" in message.last_error
    assert "Not a valid email address" in message.last_error
    assert len(notify.requests) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("status", [403, 429, 500])
def test_notify_down_or_limiting_is_retried(notify, status):
    notify.refuse(status, "try later")
    message = services.enqueue(send_email, to="nia@example.test", subject="S", body="B")
    services.messages_relay()
    message.refresh_from_db()
    assert (message.state, message.attempts) == (Message.State.PENDING, 1)


@pytest.mark.django_db
def test_a_text_message_goes_only_where_notify_is_configured(
    settings, django_capture_on_commit_callbacks
):
    settings.NOTIFY_API_KEY = ""
    assert (
        queue_text(
            to="07700900123", template="smartcards/texts/certificate_reminder.txt", context={}
        )
        is False
    )
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_a_text_message_is_sent_through_notifys_text_template(
    notify, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        queued = queue_text(
            to="07700900123",
            template="smartcards/texts/certificate_reminder.txt",
            context={"expires_on": "27 March 2027", "days_left": 12},
        )
    assert queued is True
    (request,) = notify.requests
    assert request["path"] == "/v2/notifications/sms"
    assert request["body"]["phone_number"] == "07700900123"
    assert request["body"]["template_id"] == SMS_TEMPLATE
    assert "27 March 2027" in request["body"]["personalisation"]["body"]
    assert Message.objects.get().state == Message.State.DONE
