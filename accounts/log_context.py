"""What every log line of a request carries, through django-structlog.

django-structlog binds `user_id` and `ip`; the portal adds its own request id (the one
stored on audit events and echoed in X-Request-ID, so a log line leads to its audit
events) and the organisations the person works for. Those are worked out once, at sign-in,
and kept in the session, so logging costs no query per request. API requests bind the
token's organisation (api.authentication). Celery tasks queued during a
request carry the same context to the worker (DJANGO_STRUCTLOG_CELERY_ENABLED).
"""

import structlog
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django_structlog import signals as structlog_signals

from .lockout import client_address

# Read by pharmacy_portal.log_processors too.
SESSION_KEY = "log_organisation_ids"


def organisation_ids_for(user):
    """Ids of the organisations `user` works for, manages or covers (sorted list)."""
    from .models import Membership, OrganisationAdmin, UnlockerCover

    ids = set(
        Membership.objects.current()
        .filter(user=user)
        .values_list("premises__organisation_id", flat=True)
    )
    ids |= set(
        OrganisationAdmin.objects.filter(user=user).values_list("organisation_id", flat=True)
    )
    for premises_org, org in UnlockerCover.objects.filter(unlocker=user).values_list(
        "premises__organisation_id", "organisation_id"
    ):
        ids.add(premises_org or org)
    ids.discard(None)
    return sorted(ids)


def organisation_label(ids):
    return ",".join(str(i) for i in ids)


@receiver(user_logged_in, dispatch_uid="log_context_organisations")
def _remember_organisations(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    ids = organisation_ids_for(user)
    request.session[SESSION_KEY] = ids
    structlog.contextvars.bind_contextvars(user_id=user.pk, organisation=organisation_label(ids))


@receiver(structlog_signals.bind_extra_request_metadata, dispatch_uid="log_context_request")
def _bind_request(sender, request, logger, log_kwargs, **kwargs):
    context = {"ip": client_address(request)}
    if getattr(request, "id", None):
        context["request_id"] = request.id
    session = getattr(request, "session", None)
    if session is not None and SESSION_KEY in session:
        context["organisation"] = organisation_label(session[SESSION_KEY])
    structlog.contextvars.bind_contextvars(**context)
