"""Checking two-factor codes: django-otp's TOTP devices and their throttling, told truthfully.

django-otp makes a device wait after each wrong code: 1 second after the first, then 2,
4, 8 ... (OTP_TOTP_THROTTLE_FACTOR seconds, doubling). A code typed during the wait is not
checked at all. These services check the wait first, so the person hears either "that code
did not match" or how many seconds are really left, and every wrong or refused code is a
security event in the audit trail.
"""

import math
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django_otp.models import VerifyNotAllowed
from django_otp.plugins.otp_totp.models import TOTPDevice

from .audit import audit_record
from .security import TWO_FACTOR_SET_UP, TWO_FACTOR_THROTTLED, TWO_FACTOR_WRONG_CODE


def confirmed_device(user) -> TOTPDevice | None:
    """The user's confirmed authenticator app (a TOTPDevice), or None before set-up."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def device_to_set_up(*, user) -> TOTPDevice:
    """The unconfirmed authenticator the set-up page shows the QR code and key of: made
    on the first visit, the same one on the next (so a reload does not change the key)."""
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, confirmed=False, defaults={"name": "Authenticator app"}
    )
    return device


@dataclass(frozen=True)
class CodeCheck:
    """accepted: the code matched. wait_seconds: > 0 when the code was not checked
    because the device is still waiting after wrong codes (whole seconds, rounded up)."""

    accepted: bool
    wait_seconds: int = 0

    @property
    def message(self):
        """What to tell the person when the code was not accepted."""
        if self.wait_seconds:
            unit = "second" if self.wait_seconds == 1 else "seconds"
            return (
                f"Too many wrong codes in a row. Wait {self.wait_seconds} {unit}, "
                "then enter the code now showing in your app."
            )
        return "That code did not match. Enter the code now showing in your app."


def _throttle_wait(device):
    allowed, data = device.verify_is_allowed()
    if allowed or not data or data.get("reason") != VerifyNotAllowed.N_FAILED_ATTEMPTS:
        return 0
    remaining = (data["locked_until"] - timezone.now()).total_seconds()
    return max(1, math.ceil(remaining))


def two_factor_code_check(*, user, device, token):
    """Check `token` against `device` (a TOTPDevice of `user`). Returns a CodeCheck.

    Records TWO_FACTOR_THROTTLED when the device is still waiting (the code is then not
    checked and does not count as another wrong one) and TWO_FACTOR_WRONG_CODE when the
    code does not match. The caller logs the person in on an accepted code.
    """
    wait = _throttle_wait(device)
    if wait:
        audit_record(actor=user, action=TWO_FACTOR_THROTTLED, obj=user, changes={"wait": wait})
        return CodeCheck(accepted=False, wait_seconds=wait)
    if device.verify_token(token):
        return CodeCheck(accepted=True)
    audit_record(actor=user, action=TWO_FACTOR_WRONG_CODE, obj=user)
    return CodeCheck(accepted=False)


@transaction.atomic
def two_factor_set_up(*, user, device, token):
    """Confirm a new (unconfirmed) device of `user` with its first code. Returns a
    CodeCheck; on an accepted code the device is confirmed and TWO_FACTOR_SET_UP recorded."""
    check = two_factor_code_check(user=user, device=device, token=token)
    if check.accepted:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_record(actor=user, action=TWO_FACTOR_SET_UP, obj=user)
    return check
