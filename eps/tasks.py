"""The daily low-stock job: a sweep that finds premises running low, and one task per
premises that sends the email. Both are safe to run twice."""

from celery import shared_task

from outbox.services import enqueue

from . import services


@shared_task(acks_late=True)
def check_low_token_stock():
    premises_ids = services.token_low_stock_sweep()
    for premises_id in premises_ids:
        enqueue(alert_low_token_stock, premises_id=premises_id)
    return len(premises_ids)


@shared_task(acks_late=True)
def alert_low_token_stock(premises_id):
    return services.token_low_stock_alert(premises_id=premises_id)
