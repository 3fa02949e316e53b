"""Which failures of a task are worth trying again. One place for the rule: a mail server
or Notify refusing for now (4xx, unreachable, timing out) is retried with backoff; one
refusing for good (5xx for every recipient, Notify's 400) is not."""

import smtplib


class PermanentFailure(Exception):
    """Raised by a sender when trying the same message again cannot succeed."""


def is_permanent(exc: BaseException) -> bool:
    """Whether exc says the message can never be delivered as it is."""
    if isinstance(exc, PermanentFailure):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(exc, smtplib.SMTPDataError | smtplib.SMTPSenderRefused):
        return exc.smtp_code >= 500
    return False


def describe(exc: BaseException) -> str:
    """A reason an admin can read: the exception's type and its words, cut to length."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        words = "; ".join(
            f"{address}: {code} {_text(reply)}" for address, (code, reply) in exc.recipients.items()
        )
        return f"Recipient refused by the mail server: {words}"[:2000]
    return f"{type(exc).__name__}: {exc}"[:2000]


def _text(reply):
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
