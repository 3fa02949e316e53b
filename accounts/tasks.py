from celery import shared_task
from django.core.mail import send_mail


@shared_task(
    autoretry_for=(OSError,), retry_backoff=True, retry_kwargs={"max_retries": 5}, acks_late=True
)
def send_email(*, to, subject, body):
    """Deliver one email. Callers queue it with transaction.on_commit."""
    send_mail(subject, body, None, [to] if isinstance(to, str) else list(to))
