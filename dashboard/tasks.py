"""Celery tasks of the dashboard. Thin: each calls one service and is safe to run twice."""

from celery import shared_task

from dashboard.services import weekly_digests_send


@shared_task(acks_late=True)
def send_weekly_digests():
    """The weekly digest to head-office admins; one per admin per week however often run."""
    return weekly_digests_send()
