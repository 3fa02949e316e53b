"""Smartcard jobs. Each takes ids and calls one service; running any of them twice sends
nothing twice, because the service records what it sent under a row lock."""

from celery import shared_task

from . import selectors, services

RETRY = {
    "autoretry_for": (OSError,),
    "retry_backoff": True,
    "retry_kwargs": {"max_retries": 5},
    "acks_late": True,
}


@shared_task
def send_certificate_reminders():
    """Daily: queue a reminder for every holder who is owed one."""
    holder_ids = list(selectors.holders_due_reminder())
    for holder_id in holder_ids:
        send_certificate_reminder.delay(holder_id)
    return len(holder_ids)


@shared_task(**RETRY)
def send_certificate_reminder(holder_id):
    return services.certificate_reminder_send(holder_id=holder_id)


@shared_task
def escalate_waiting_requests():
    """Every few minutes: queue an escalation for each request waiting too long unclaimed."""
    request_ids = list(selectors.requests_due_escalation())
    for request_id in request_ids:
        escalate_request.delay(request_id)
    return len(request_ids)


@shared_task(**RETRY)
def escalate_request(request_id):
    return services.smartcard_request_escalate(request_id=request_id)
