"""Smartcard jobs. Each takes ids and calls one service; running any of them twice sends
nothing twice, because the service records what it sent under a row lock.

The daily and five-minute jobs queue their work in batches (BATCH ids a task), not one
task per holder or request: a task's fixed cost (the broker, a transaction, the reads of
managers and unlockers) is paid once for hundreds of people.
"""

from celery import shared_task

from outbox.services import enqueue

from . import selectors, services

BATCH = 200


def batched(ids):
    """Lists of at most BATCH ids, in order."""
    return [ids[start : start + BATCH] for start in range(0, len(ids), BATCH)]


RETRY = {
    "autoretry_for": (OSError,),
    "retry_backoff": True,
    "retry_kwargs": {"max_retries": 5},
    "acks_late": True,
}


@shared_task
def send_certificate_reminders():
    """Daily: queue reminders for every holder who is owed one, BATCH holders a task."""
    holder_ids = list(selectors.holders_due_reminder())
    for batch in batched(holder_ids):
        enqueue(send_certificate_reminder_batch, holder_ids=batch)
    return len(holder_ids)


@shared_task(**RETRY)
def send_certificate_reminder_batch(holder_ids):
    return len(services.certificate_reminders_send(holder_ids=holder_ids))


@shared_task(**RETRY)
def send_certificate_reminder(holder_id):
    """One holder's reminder (tasks queued one by one before batches)."""
    return services.certificate_reminder_send(holder_id=holder_id)


@shared_task
def escalate_waiting_requests():
    """Every few minutes: queue the escalation of each request waiting too long
    unclaimed, BATCH requests a task."""
    request_ids = list(selectors.requests_due_escalation())
    for batch in batched(request_ids):
        enqueue(escalate_request_batch, request_ids=batch)
    return len(request_ids)


@shared_task(**RETRY)
def escalate_request_batch(request_ids):
    return len(services.smartcard_requests_escalate(request_ids=request_ids))


@shared_task(**RETRY)
def escalate_request(request_id):
    """One request's escalation (tasks queued one by one before batches)."""
    return services.smartcard_request_escalate(request_id=request_id)
