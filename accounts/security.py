"""Security events in the append-only audit trail.

Failed sign-ins, lockouts, wrong and throttled two-factor codes, two-factor set-up and
reset, and refused requests (a 403, or a 404 for a portal page, once per request) are
audit events like any other write that matters: who (or "not signed in"), when, the
request id and the client's address. They carry no organisation, so only portal admins
(and the person themselves, for an unlocker's own events) see them on the audit page;
the "Security events" filter there lists exactly SECURITY_ACTIONS.
"""

import contextvars
import logging

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_login_failed
from django.db import DatabaseError
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django_otp.plugins.otp_totp.models import TOTPDevice

from .audit import audit_record
from .lockout import ACCOUNT, lockout_username

logger = logging.getLogger(__name__)

SIGN_IN_FAILED = "sign_in.failed"
SIGN_IN_LOCKED_OUT = "sign_in.locked_out"
TWO_FACTOR_WRONG_CODE = "two_factor.wrong_code"
TWO_FACTOR_THROTTLED = "two_factor.throttled"
TWO_FACTOR_SET_UP = "two_factor.set_up"
TWO_FACTOR_RESET = "two_factor.reset"
ACCESS_REFUSED = "access.refused"

SECURITY_ACTIONS = (
    SIGN_IN_FAILED,
    SIGN_IN_LOCKED_OUT,
    TWO_FACTOR_WRONG_CODE,
    TWO_FACTOR_THROTTLED,
    TWO_FACTOR_SET_UP,
    TWO_FACTOR_RESET,
    ACCESS_REFUSED,
)

# The signed-in person of the request being served, for events raised by signals (a
# device deleted in the admin) that are not handed the request.
_current_user = contextvars.ContextVar("security_current_user", default=None)


def _account_for(email):
    from .models import User

    if not email:
        return None
    return User.objects.filter(email__iexact=email).first()


@receiver(user_login_failed, dispatch_uid="audit_sign_in_failed")
def _record_sign_in_failed(sender, credentials, request=None, **kwargs):
    # Every refused sign-in, including those refused while the lock is on (axes counts
    # them too, so the lock lasts 15 minutes from the last attempt); the lockout itself is
    # a separate event (_record_locked_out).
    if request is None:
        return
    email = (lockout_username(request, credentials) or "")[:254]
    audit_record(
        actor=None,
        action=SIGN_IN_FAILED,
        obj=_account_for(email),
        changes={"email": email},
    )


@receiver(user_locked_out, dispatch_uid="audit_sign_in_locked_out")
def _record_locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    email = (username or "")[:254]
    audit_record(
        actor=None,
        action=SIGN_IN_LOCKED_OUT,
        obj=_account_for(email),
        changes={"email": email, "locked": getattr(request, "lockout_reason", ACCOUNT)},
    )


@receiver(post_delete, sender=TOTPDevice, dispatch_uid="audit_two_factor_reset")
def _record_two_factor_reset(sender, instance, **kwargs):
    if not instance.confirmed:
        return
    actor = _current_user.get() or "two-factor reset"
    audit_record(actor=actor, action=TWO_FACTOR_RESET, obj=instance.user)


class SecurityAuditMiddleware:
    """Record one ACCESS_REFUSED event when a signed-in person's request to a portal page,
    or an API request with a valid token, answers 403 or 404 (an object out of their
    scope answers 404 by design), and make the signed-in person known to signal
    receivers. Sits after AuthenticationMiddleware. An API token is checked by the API's
    own authentication inside the view, which then sets request.user, so the actor is
    read again once the response is made."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user if request.user.is_authenticated else None
        token = _current_user.set(user)
        try:
            response = self.get_response(request)
        finally:
            _current_user.reset(token)
        if user is None and getattr(request.user, "is_authenticated", False):
            user = request.user  # an API token's owner, known only after the view ran
        if (
            user is not None
            and response.status_code in (403, 404)
            and getattr(request, "resolver_match", None) is not None
        ):
            try:
                audit_record(
                    actor=user,
                    action=ACCESS_REFUSED,
                    changes={
                        "method": request.method,
                        "path": request.path[:500],
                        "status": response.status_code,
                    },
                )
            except DatabaseError:
                logger.exception("could not record a refused request in the audit trail")
        return response
