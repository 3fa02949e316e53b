from django.core import mail

from accounts.tasks import send_email


def test_email_is_delivered_by_a_real_worker(real_celery_worker):
    result = send_email.delay(to="someone@example.test", subject="Hello", body="Body")
    result.get(timeout=30)
    assert [m.subject for m in mail.outbox] == ["Hello"]
