"""Writing to the outbox, relaying it to the broker, running what it holds, and retrying
a failed message by hand (docs/decisions/0040-outbox.md).

- `enqueue(task, **kwargs)` is the one way a service queues a task (emails too, through
  accounts/emails.py): a row in the caller's transaction, published right after commit
  when the broker answers, or by the relay when it comes back.
- `messages_relay()` (beat, every OUTBOX_RELAY_SECONDS, and `manage.py outbox_relay`)
  publishes what is due, in batches, marking each batch published in the transaction
  that locked it: a relay killed mid-batch leaves the rows pending, to be published
  again, and the duplicates run once.
- `message_run(message_id=...)` (the worker) claims the row before running the task, so
  a message published twice runs once; a failure is retried with backoff until its time
  to live, a permanent one is marked failed with the reason.
"""

import contextlib
import contextvars
import functools
import inspect
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from celery import current_app as app
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.audit import audit_record
from accounts.permissions import Permission, has_permission

from . import failures
from .models import Message
from .signals import message_queued

if TYPE_CHECKING:
    from collections.abc import Iterator

    from celery import Task

    from accounts.models import User

logger = logging.getLogger(__name__)

RUN_TASK = "outbox.tasks.run_message"
State = Message.State


class MessageNotRetryable(Exception):
    """A message asked to be retried by hand that has not failed."""


def _task_name(task) -> str:
    return task if isinstance(task, str) else task.name


def enqueue(task: "Task | str", /, **kwargs: object) -> Message:
    """Queue `task` (a Celery task or its name) with keyword arguments (JSON: ids, strings,
    numbers, lists) to run once on a worker. Written in the caller's transaction, so it is
    queued if and only if the change commits; published right after commit when the
    broker answers, else by the relay once it does. Never raises because the broker is
    down. Returns the outbox row; inside `batched()` the row is written when the block
    ends, so until then it has no id."""
    name = _task_name(task)
    now = timezone.now()
    message = Message(
        task=name, kwargs=kwargs, created_at=now, available_at=now, expires_at=now + _ttl()
    )
    message_queued.send(sender=name, message=message)
    batch = _batch.get()
    if batch is not None:
        batch.append(message)
        return message
    message.save(force_insert=True)
    _publish_after_commit([message.pk])
    return message


# The messages of the innermost `batched()` block, or None outside one.
_batch = contextvars.ContextVar("outbox_batch", default=None)


@contextlib.contextmanager
def batched() -> "Iterator[None]":
    """Within the block, `enqueue` collects its messages and writes them all in one
    statement when the block ends, published together after commit: a job queuing
    hundreds of emails makes one insert, not hundreds. Use it inside the transaction of
    the change (the rows must commit with it). Nested blocks join the outer one; a block
    left by an exception writes nothing (its transaction is rolled back anyway)."""
    if _batch.get() is not None:
        yield
        return
    messages = []
    token = _batch.set(messages)
    try:
        yield
    finally:
        _batch.reset(token)
    if messages:
        Message.objects.bulk_create(messages)
        _publish_after_commit([message.pk for message in messages])


def _ttl() -> timedelta:
    return timedelta(seconds=settings.OUTBOX_TTL_SECONDS)


def _publish_after_commit(pks):
    # Inside a transaction, publish once it commits. Outside one (a task's fan-out runs in
    # autocommit) at once, as on_commit would; the transaction a test wraps itself in is
    # not the portal's own (Django's durable-atomic check draws the same line).
    blocks = transaction.get_connection().atomic_blocks
    if any(not block._from_testcase for block in blocks):
        transaction.on_commit(functools.partial(_publish_now, pks))
    else:
        _publish_now(pks)


def _publish_now(pks):
    """Publish messages as their change commits, so they are not held for the relay's
    next pass; a broker that does not answer within a fraction of a second leaves them to
    the relay. The rows say published only after the broker took them; if that update is
    lost, the relay publishes them again and the copies are skipped."""
    try:
        if app.conf.task_always_eager:
            for pk in pks:
                _send(None, pk)
        else:
            # A pooled producer: a busy process (a job writing hundreds of emails) reuses
            # one broker connection; a dead one is retried once, without kombu's waits.
            with app.producer_pool.acquire(block=True) as producer:
                producer.connection.ensure_connection(
                    max_retries=1, interval_start=0, interval_step=0.1
                )
                for pk in pks:
                    _send(producer, pk)
        # Not those a worker already ran and failed (back to pending, attempts counted).
        Message.objects.filter(pk__in=pks, state=State.PENDING, attempts=0).update(
            state=State.PUBLISHED, published_at=timezone.now()
        )
    except Exception:
        logger.warning("Outbox: messages %s left for the relay", pks, exc_info=True)


@functools.cache
def _tasks_loaded():
    app.loader.import_default_modules()
    return True


def task_for(name: str) -> "Task | None":
    """The registered Celery task called name, or None (renamed or removed)."""
    _tasks_loaded()
    return app.tasks.get(name)


@functools.cache
def _signature(name):
    task = task_for(name)
    return None if task is None else inspect.signature(task.run)


def unsendable_reason(message: Message, now: datetime) -> str:
    """Why a message can never run as it is ("" when it can): its task is gone, its
    arguments no longer fit the task, or its time to live has passed."""
    if message.expires_at <= now:
        return (
            f"Not sent within its time to live ({settings.OUTBOX_TTL_SECONDS // 3600} hours): "
            f"expired at {timezone.localtime(message.expires_at):%d %b %Y %H:%M}."
            + (f" Last error: {message.last_error}" if message.last_error else "")
        )[:2000]
    signature = _signature(message.task)
    if signature is None:
        return f"Unknown task {message.task!r}: renamed or removed since it was queued."
    try:
        signature.bind(**message.kwargs)
    except TypeError as exc:
        return f"Its arguments no longer match task {message.task!r}: {exc}."[:2000]
    return ""


def _fail(pks, reason, now):
    return Message.objects.filter(pk__in=pks).update(
        state=State.FAILED, last_error=reason, finished_at=now, claimed_until=None
    )


def _send(producer, pk):
    # Through the task, so tests (always eager) run it in-process.
    task_for(RUN_TASK).apply_async(
        kwargs={"message_id": pk},
        task_id=f"outbox-{pk}",
        producer=producer,
        ignore_result=True,
        retry=False,
    )


def messages_publish(*, ids: list[int] | None = None, limit: int | None = None) -> int:
    """Publish up to `limit` (OUTBOX_BATCH) due pending messages (only those in `ids` when
    given), oldest first; mark those that can never run as failed with the reason.
    Returns how many were published. Raises the broker's error when it cannot be reached
    before anything was published (nothing is marked then)."""
    return _publish_batch(ids=ids, limit=limit)[1]


def _publish_batch(*, ids=None, limit=None):
    """(rows taken, rows published) for one batch: see messages_publish."""
    limit = limit or settings.OUTBOX_BATCH
    now = timezone.now()
    due = Message.objects.filter(state=State.PENDING, available_at__lte=now)
    if ids is not None:
        due = due.filter(pk__in=ids)
    eager = app.conf.task_always_eager
    with transaction.atomic():
        batch = list(
            due.select_for_update(skip_locked=True)
            .order_by("id")
            .only("id", "task", "kwargs", "expires_at", "last_error")[:limit]
        )
        if not batch:
            return 0, 0
        sendable, bad = [], {}
        for message in batch:
            reason = unsendable_reason(message, now)
            if reason:
                bad.setdefault(reason, []).append(message.pk)
            else:
                sendable.append(message.pk)
        for reason, pks in bad.items():
            _fail(pks, reason, now)
        published = sendable if eager or not sendable else _publish(sendable)
        Message.objects.filter(pk__in=published).update(state=State.PUBLISHED, published_at=now)
    if eager:
        # Tests run tasks in-process: run them after the rows say published, outside the
        # relay's transaction, as a worker would.
        for pk in published:
            _send(None, pk)
    return len(batch), len(published)


def _publish(pks):
    """Publish each message on one broker connection; the ones published before the broker
    failed, or the error when it failed at once."""
    published = []
    with app.connection_for_write() as connection:
        # Fail in a fraction of a second when the broker is down, not after kombu's retries.
        connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0.1)
        producer = connection.Producer()
        try:
            for pk in pks:
                _send(producer, pk)
                published.append(pk)
        except Exception:
            if not published:
                raise
            logger.warning("Outbox: broker failed after %d of %d", len(published), len(pks))
    return published


def messages_recover(now: datetime | None = None) -> int:
    """Put back in the queue the messages a broker lost: handed to it longer ago than
    OUTBOX_REPUBLISH_AFTER_SECONDS and never started, or whose worker died mid-run (its
    claim ran out). A copy still in the broker then runs once all the same. Returns how
    many."""
    now = now or timezone.now()
    lost = Q(
        state=State.PUBLISHED,
        published_at__lt=now - timedelta(seconds=settings.OUTBOX_REPUBLISH_AFTER_SECONDS),
    ) | Q(state=State.RUNNING, claimed_until__lt=now)
    return Message.objects.filter(lost).update(
        state=State.PENDING, available_at=now, claimed_until=None
    )


def messages_relay(*, limit: int | None = None) -> int:
    """One pass of the relay: recover lost messages, publish every due one in batches of
    OUTBOX_BATCH until none is left, forget done ones older than OUTBOX_KEEP_DONE_DAYS.
    Returns how many were published; raises the broker's error if it is down."""
    messages_recover()
    total = 0
    while True:
        taken, published = _publish_batch(limit=limit)
        total += published
        if taken == 0:
            break
    Message.objects.filter(
        state=State.DONE,
        finished_at__lt=timezone.now() - timedelta(days=settings.OUTBOX_KEEP_DONE_DAYS),
    ).delete()
    return total


def backoff(attempts: int) -> timedelta:
    """How long to wait before run number attempts + 1: OUTBOX_RETRY_BASE_SECONDS doubled
    for each failure so far, at most OUTBOX_RETRY_MAX_SECONDS."""
    seconds = settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.OUTBOX_RETRY_MAX_SECONDS))


_CLAIM_SQL = f"""
UPDATE {Message._meta.db_table} SET state = %(running)s, claimed_until = %(until)s
WHERE id = %(id)s AND (state IN (%(pending)s, %(published)s)
                       OR (state = %(running)s AND claimed_until < %(now)s))
RETURNING *
"""


def _claim(message_id, now):
    """The message, claimed for this run (RUNNING until the lease runs out), or None when
    it may not start: one statement, so two workers never both claim it."""
    lease = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    params = {
        "id": message_id,
        "now": now,
        "until": now + lease,
        "running": State.RUNNING,
        "pending": State.PENDING,
        "published": State.PUBLISHED,
    }
    return next(iter(Message.objects.raw(_CLAIM_SQL, params)), None)


def message_run(*, message_id: int, hostname: str = "") -> str:
    """Run one outbox message in this process, once: claim it (a copy published twice, or
    one already done or failed, is skipped), run its task, and record the outcome.
    Returns "done", "skipped", "retry" (failed for now, to be tried again after the
    backoff) or "failed" (never to run: the reason is on the row). Never raises for the
    task's own error."""
    now = timezone.now()
    message = _claim(message_id, now)
    if message is None:
        return "skipped"
    reason = unsendable_reason(message, now)
    if reason:
        _fail([message.pk], reason, now)
        logger.warning("Outbox: %s failed: %s", message, reason)
        return "failed"
    task = task_for(message.task)
    task.push_request(id=f"outbox-{message.pk}", hostname=hostname or None)
    try:
        task.run(**message.kwargs)
    except Exception as exc:
        return _record_failure(message, exc)
    finally:
        task.pop_request()
    Message.objects.filter(pk=message.pk).update(
        state=State.DONE, finished_at=timezone.now(), claimed_until=None
    )
    return "done"


def _record_failure(message, exc):
    now = timezone.now()
    attempts = message.attempts + 1
    reason = failures.describe(exc)
    next_at = now + backoff(attempts)
    if failures.is_permanent(exc):
        outcome, fields = "failed", {"state": State.FAILED, "finished_at": now}
    elif attempts >= settings.OUTBOX_MAX_ATTEMPTS or next_at >= message.expires_at:
        reason = f"Gave up after {attempts} attempts. {reason}"[:2000]
        outcome, fields = "failed", {"state": State.FAILED, "finished_at": now}
    else:
        outcome, fields = "retry", {"state": State.PENDING, "available_at": next_at}
    Message.objects.filter(pk=message.pk).update(
        attempts=attempts, last_error=reason, claimed_until=None, **fields
    )
    logger.warning("Outbox: %s %s after attempt %d: %s", message, outcome, attempts, reason)
    return outcome


def message_retry(*, actor: "User", message_id: int) -> Message:
    """A portal admin sends a failed message again ("Retry" on the outbox page): it goes
    back in the queue with a fresh time to live, and the retry is audited. Raises
    PermissionDenied for anyone who may not manage jobs, Message.DoesNotExist for no such
    message, and MessageNotRetryable for one that has not failed (it may be on its way,
    or sent: sending it again could send it twice)."""
    if not has_permission(actor, Permission.MANAGE_JOBS):
        raise PermissionDenied
    now = timezone.now()
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=message_id)
        if message.state != State.FAILED:
            raise MessageNotRetryable(f"{message} has not failed: it was not sent again.")
        audit_record(
            actor=actor,
            action="outbox_message.retried",
            obj=message,
            changes={
                "task": message.task,
                "attempts": message.attempts,
                "reason": message.last_error,
            },
        )
        message.state = State.PENDING
        message.attempts = 0
        message.available_at = now
        message.expires_at = now + _ttl()
        message.finished_at = None
        message.save(
            update_fields=["state", "attempts", "available_at", "expires_at", "finished_at"]
        )
        _publish_after_commit([message.pk])
    return message
