from celery import shared_task

from . import services


@shared_task(acks_late=True)
def evaluate_compliance(premises_ids=None):
    """Daily: evaluate every premises (or those given) and store today's snapshots."""
    services.compliance_refresh(premises_ids=premises_ids)


@shared_task(acks_late=True)
def send_confirmation_reminders():
    """Daily: remind account holders whose last confirmation is ageing; returns how many."""
    return services.confirmation_reminders_send()
