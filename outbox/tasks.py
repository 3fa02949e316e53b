"""The outbox's two tasks: the relay beat runs, and the one every outbox message is
published as (docs/decisions/0040-outbox.md)."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, ignore_result=True)
def run_message(*, message_id):
    """Run one outbox message once: a copy published twice, or one already done, is
    skipped (services.message_run)."""
    return services.message_run(message_id=message_id, hostname=run_message.request.hostname)


@shared_task(ignore_result=True)
def relay():
    """Every few seconds (beat): publish the outbox messages that are due. Returns how
    many were published."""
    return services.messages_relay()
