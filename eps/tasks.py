"""The daily low-stock job: a sweep that finds premises running low, and one task per
premises that sends the email. Both are safe to run twice."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def check_low_token_stock():
    for premises_id in services.token_low_stock_sweep():
        alert_low_token_stock.delay(premises_id)


@shared_task(acks_late=True)
def alert_low_token_stock(premises_id):
    return services.token_low_stock_alert(premises_id=premises_id)
