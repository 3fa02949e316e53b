import re
import sys
import uuid

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader

from accounts.audit import bind_request
from accounts.lockout import client_address

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Give every request an id, echoed in X-Request-ID and stored on audit events with
    the client's address; log lines carry the same id (accounts.log_context).

    A load balancer's id is kept when it looks safe, so one id follows a request across
    systems.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        with bind_request(request.id, client_address(request)):
            response = self.get_response(request)
        response["X-Request-ID"] = request.id
        return response


# SQLSTATE classes meaning "the server is not there", as opposed to a bad query: connection
# exceptions (08) and the server shutting down or still starting (57P01-57P03).
_UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03")
RETRY_AFTER_SECONDS = 30


def is_database_unavailable(exc):
    """True for errors that mean the database cannot be reached, not that a query is wrong.

    A lost connection surfaces as InterfaceError ("connection already closed") or as an
    OperationalError whose driver error carries no SQLSTATE (the client never got an answer)
    or a connection-class one. Deadlocks, timeouts and SQLite's own operational errors are
    faults of a request, and stay 500s so they are seen.
    """
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    if cause is None or type(cause).__module__.split(".")[0] != "psycopg":
        return False
    sqlstate = getattr(cause, "sqlstate", None)
    return sqlstate is None or sqlstate.startswith(_UNAVAILABLE_SQLSTATES)


def _note_database_unavailable(sender, request=None, **kwargs):
    if request is not None and is_database_unavailable(sys.exception()):
        request.database_unavailable = True


# Django turns an exception into a 500 response inside whichever middleware or view raised
# it, before an outer middleware could catch it; it signals first, so the flag set here
# reaches DatabaseUnavailableMiddleware whatever layer lost the connection.
got_request_exception.connect(_note_database_unavailable, dispatch_uid="database_unavailable")


class DatabaseUnavailableMiddleware:
    """Answer a plain 503 page with Retry-After while the database cannot be reached.

    The page is rendered without a request context: the navigation and the signed-in user
    need the database. Django reconnects on the next request (CONN_HEALTH_CHECKS), so the
    portal recovers by itself once the database is back.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "database_unavailable", False):
            return self.unavailable_response()
        return response

    @staticmethod
    def unavailable_response():
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        # The CSP and frame middleware sit inside this one and never see this response.
        response["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'self'; img-src 'self'; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
        )
        response["X-Frame-Options"] = "DENY"
        return response
