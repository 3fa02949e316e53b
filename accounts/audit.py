"""The one way to write an audit event.

Services call `audit_record` inside their transaction, so the event and the change it
describes commit together or not at all.
"""

import contextlib
import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    """What every audit event written during one web request carries about it."""

    request_id: str = ""
    client_address: str | None = None


_NO_REQUEST = RequestContext()
_request = contextvars.ContextVar("audit_request", default=None)


@contextlib.contextmanager
def bind_request(request_id, client_address=None):
    """Stamp audit events written inside the block with this request id and client address."""
    token = _request.set(RequestContext(request_id, client_address or None))
    try:
        yield
    finally:
        _request.reset(token)


def current_request_context():
    """The RequestContext bound by the request being served (empty outside a request)."""
    return _request.get() or _NO_REQUEST


def audit_event(*, actor, action, obj=None, premises=None, organisation=None, changes=None):
    """One audit event, built but not saved: for services that bulk-insert many at once.

    actor is a User, a string naming a system job ("nhsmail compliance job"), or None for
    someone not signed in (a failed sign-in).
    """
    from .models import AuditEvent, User

    if organisation is not None:
        organisation_id = organisation.pk
    else:
        organisation_id = premises.organisation_id if premises is not None else None
    is_person = isinstance(actor, User)
    if is_person:
        actor_label = str(actor)
    elif actor is None:
        actor_label = "not signed in"
    else:
        actor_label = f"system: {actor}"
    context = current_request_context()
    return AuditEvent(
        actor=actor if is_person else None,
        actor_label=actor_label,
        action=action,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:250] if obj is not None else "",
        organisation_id=organisation_id,
        premises=premises,
        changes=changes or {},
        request_id=context.request_id,
        client_address=context.client_address,
    )


def audit_record(*, actor, action, obj=None, premises=None, organisation=None, changes=None):
    """Write one audit event (see audit_event for the arguments)."""
    event = audit_event(
        actor=actor,
        action=action,
        obj=obj,
        premises=premises,
        organisation=organisation,
        changes=changes,
    )
    event.save(force_insert=True)
    return event


def audit_record_events(events):
    """Save events built with audit_event in one insert (a job's batch)."""
    from .models import AuditEvent

    AuditEvent.objects.bulk_create(events, batch_size=2000)


def audit_record_many(*, actor, action, rows):
    """Write one event per row in a single insert, for jobs touching thousands of premises.

    rows: (premises_id, organisation_id, object_repr, changes) tuples. actor: a job name.
    """
    from .models import AuditEvent

    context = current_request_context()
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor_label=f"system: {actor}",
                action=action,
                object_type="accounts.Premises",
                object_id=str(premises_id),
                object_repr=object_repr[:250],
                premises_id=premises_id,
                organisation_id=organisation_id,
                changes=changes,
                request_id=context.request_id,
                client_address=context.client_address,
            )
            for premises_id, organisation_id, object_repr, changes in rows
        ],
        batch_size=2000,
    )
