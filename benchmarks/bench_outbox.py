"""The outbox drained under load: 10,000 pending emails published by the relay
(`outbox.services.messages_relay`: lock a batch, check each message can run, publish it,
mark the batch published), against a floor that publishes the same 10,000 broker messages
(`outbox.tasks.run_message`, same task ids, same serialisation) straight to the same
Redis on one connection, with no database at all.

Needs REDIS_URL (the broker the outbox is for); skipped without it. Run it with no worker
on that Redis database: the queue is emptied between runs.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from outbox import services
from outbox.models import Message
from pharmacy_portal.celery import app

N = 10_000


def seed():
    return False


def _backlog():
    Message.objects.all().delete()
    now = timezone.now()
    Message.objects.bulk_create(
        (
            Message(
                task="accounts.tasks.send_email",
                kwargs={"to": f"person{i}@example.test", "subject": f"Alert {i}", "body": "B"},
                created_at=now,
                available_at=now,
                expires_at=now + timedelta(days=1),
            )
            for i in range(N)
        ),
        batch_size=2000,
    )


def _empty_queue():
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(app.conf.task_default_queue)


def measure(h):
    if not settings.REDIS_URL:
        print("bench outbox_drain skipped: needs REDIS_URL", flush=True)
        return
    app.conf.task_always_eager = False
    ids = []

    def setup():
        _empty_queue()
        _backlog()
        ids[:] = Message.objects.order_by("id").values_list("id", flat=True)

    def project():
        published = services.messages_relay()
        assert published == N, published

    def floor():
        with app.connection_for_write() as connection:
            producer = connection.Producer()
            for pk in ids:
                app.send_task(
                    services.RUN_TASK,
                    kwargs={"message_id": pk},
                    task_id=f"outbox-{pk}",
                    producer=producer,
                    ignore_result=True,
                    retry=False,
                )

    try:
        h.compare("outbox_drain", N, project, floor, repeat=5, setup=setup, between=_empty_queue)
    finally:
        _empty_queue()
        Message.objects.all().delete()
