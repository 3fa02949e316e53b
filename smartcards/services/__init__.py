"""Writes for the smartcards area, by topic.

Each service checks permission, locks what it changes, moves the request along its
states (open -> claimed -> resolved / referred / declined, or cancelled; who may take
each step is smartcards.actions), keeps who and when on the request and in its history,
writes the audit event, and queues email on commit. A refused transition raises
ValidationError with a message for the person.

- cards: a holder's card details, and looking at a holder's profile;
- requests: raising and cancelling unlock and renewal requests (the holder's side), and
  whether a card can be renewed locally;
- queue: claiming, releasing, resolving and declining (the unlocker's side);
- reminders: escalating requests left unclaimed, certificate renewal reminders;
- authorities: the Registration Authorities' contact details.
"""

from ._shared import Action, Kind, Status
from .authorities import AUTHORITY_FIELDS, registration_authority_save
from .cards import smartcard_holder_save, smartcard_holder_view
from .queue import (
    OUTCOME_DONE,
    OUTCOME_REFERRED,
    smartcard_request_claim,
    smartcard_request_decline,
    smartcard_request_release,
    smartcard_request_resolve,
)
from .reminders import (
    ESCALATION_JOB,
    REMINDER_FINAL,
    REMINDER_JOB,
    REMINDER_RENEWAL,
    certificate_reminder_send,
    certificate_reminders_send,
    smartcard_request_escalate,
    smartcard_requests_escalate,
)
from .requests import (
    expired_unlock_warning,
    renewal_refusal,
    smartcard_request_cancel,
    smartcard_request_raise,
)

__all__ = [
    "AUTHORITY_FIELDS",
    "ESCALATION_JOB",
    "OUTCOME_DONE",
    "OUTCOME_REFERRED",
    "REMINDER_FINAL",
    "REMINDER_JOB",
    "REMINDER_RENEWAL",
    "Action",
    "Kind",
    "Status",
    "certificate_reminder_send",
    "certificate_reminders_send",
    "expired_unlock_warning",
    "registration_authority_save",
    "renewal_refusal",
    "smartcard_holder_save",
    "smartcard_holder_view",
    "smartcard_request_cancel",
    "smartcard_request_claim",
    "smartcard_request_decline",
    "smartcard_request_escalate",
    "smartcard_request_raise",
    "smartcard_request_release",
    "smartcard_request_resolve",
    "smartcard_requests_escalate",
]
