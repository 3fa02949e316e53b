"""GOV.UK Notify, the service NHS organisations send email and text messages through, as
the portal's sender when NOTIFY_API_KEY is set (README, "Email in production").

Notify sends from templates: the portal uses one email template whose subject is
((subject)) and body ((body)), and one text template whose body is ((body)), so the
portal's own wording (templates/*/emails/) is what people get. Notify's refusals of a
recipient (400: not a valid address or number, or not allowed with a trial key) are
permanent; 403 (the key), 429 (rate limit) and 5xx are retried by the outbox.
"""

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

from .failures import PermanentFailure

# Notify statuses worth trying again: the key (fixed by a person), rate limit, and below.
RETRIED_STATUSES = {403, 429}


def notify_configured() -> bool:
    """Whether the portal sends through GOV.UK Notify (NOTIFY_API_KEY is set)."""
    return bool(settings.NOTIFY_API_KEY)


def _client():
    return NotificationsAPIClient(
        settings.NOTIFY_API_KEY,
        base_url=settings.NOTIFY_BASE_URL,
        timeout=settings.NOTIFY_TIMEOUT_SECONDS,
    )


def _call(send, **kwargs):
    try:
        return send(**kwargs)
    except APIError as exc:
        if 400 <= exc.status_code < 500 and exc.status_code not in RETRIED_STATUSES:
            raise PermanentFailure(f"GOV.UK Notify refused it: {exc}") from exc
        raise


class NotifyEmailBackend(BaseEmailBackend):
    """Django email backend sending each message to each of its recipients through Notify's
    email template (NOTIFY_EMAIL_TEMPLATE_ID), subject and plain-text body as given."""

    def send_messages(self, email_messages):
        client = _client()
        sent = 0
        for message in email_messages:
            try:
                for address in message.recipients():
                    _call(
                        client.send_email_notification,
                        email_address=address,
                        template_id=settings.NOTIFY_EMAIL_TEMPLATE_ID,
                        personalisation={"subject": message.subject, "body": message.body},
                    )
            except Exception:
                if not self.fail_silently:
                    raise
            else:
                sent += 1
        return sent


def text_send(*, phone_number: str, body: str) -> None:
    """Send one text message through Notify's text template (NOTIFY_SMS_TEMPLATE_ID).
    Raises PermanentFailure when Notify refuses the number, its APIError otherwise."""
    _call(
        _client().send_sms_notification,
        phone_number=phone_number,
        template_id=settings.NOTIFY_SMS_TEMPLATE_ID,
        personalisation={"body": body},
    )
