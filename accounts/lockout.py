"""Sign-in lockout, through django-axes (settings: AXES_*; docs/decisions/0034-lockout.md).

- One account: ACCOUNT_FAILURE_LIMIT wrong passwords within the cool-off lock that account,
  whatever letter case or spacing the email was typed in: axes keys attempts on
  `lockout_username`, the trimmed, case-folded email.
- One client address: ADDRESS_FAILURE_LIMIT wrong passwords across any accounts lock
  that address. The figure is high because a pharmacy's staff share one connection.

Axes compares one count with one limit; `LockoutHandler` scales the address's count so
that reaching ADDRESS_FAILURE_LIMIT is reaching the account limit, and records which of
the two it was so the locked-out page can say so.
"""

import math
import unicodedata

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_ip_address, get_cool_off
from django.conf import settings
from django.db.models import Sum
from django.shortcuts import render

ACCOUNT = "account"
ADDRESS = "address"


def normalise_email(value):
    """The account identity a typed email stands for: NFKC, trimmed, case-folded."""
    return unicodedata.normalize("NFKC", value or "").strip().casefold()


def lockout_username(request, credentials):
    """AXES_USERNAME_CALLABLE: the normalised email from the credentials or the form."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials is not None:
        value = credentials.get(field)
    else:
        value = request.POST.get(field) if request is not None else None
    return normalise_email(value) if value else value


def client_address(request):
    """The client's address as axes sees it (REMOTE_ADDR, or as the AXES_IPWARE_* proxy
    settings say), so lockout and audit events name the same address."""
    return get_client_ip_address(request)


def _failures(attempts):
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class LockoutHandler(AxesDatabaseHandler):
    """Axes' database handler with one limit per account and another per client address.

    Relies on AXES_LOCKOUT_PARAMETERS being ["username", "ip_address"], in that order.
    """

    def get_failures(self, request, credentials=None):
        by_account, by_address = (
            _failures(attempts) for attempts in self.get_user_attempts(request, credentials)
        )
        account_limit = settings.AXES_FAILURE_LIMIT
        address_limit = settings.LOCKOUT_ADDRESS_FAILURE_LIMIT
        scaled_address = by_address * account_limit // address_limit
        if request is not None:
            request.lockout_reason = (
                ADDRESS if scaled_address >= account_limit > by_account else ACCOUNT
            )
        return max(by_account, scaled_address)

    def reset_user_attempts(self, request, credentials=None):
        # A successful sign-in clears that account's failures only: one good password must
        # not wipe the count of an address guessing at other accounts.
        by_account = self.filter_user_attempts(request, credentials)[0]
        count, _ = by_account.delete()
        return count


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the locked-out page, saying what is locked and for how long."""
    minutes = math.ceil(get_cool_off(request).total_seconds() / 60)
    context = {
        "by_address": getattr(request, "lockout_reason", ACCOUNT) == ADDRESS,
        "minutes": minutes,
        "account_limit": settings.AXES_FAILURE_LIMIT,
        "address_limit": settings.LOCKOUT_ADDRESS_FAILURE_LIMIT,
    }
    return render(
        request, "registration/locked_out.html", context, status=settings.AXES_HTTP_RESPONSE_CODE
    )
