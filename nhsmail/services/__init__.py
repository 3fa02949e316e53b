"""Writes for the NHSmail area, by topic. Each checks permission (who may move a request
on or confirm an account is nhsmail.actions), changes state, writes the audit event and
refreshes the premises' NHSmail standing on commit.

- mailboxes: shared mailboxes and the links of personal accounts to them;
- personal_accounts: recording a personal account and confirming it in use;
- account_requests: new starters' account requests, from asking to live;
- compliance: the rule's evaluation, its transitions and the emails they send;
- reminders: asking people to confirm their accounts are in use.
"""

from ._shared import AREA
from .account_requests import (
    RequestCompleted,
    account_request_complete,
    account_request_create,
    account_request_submit,
)
from .compliance import JOB, RED_REMINDER_EVERY, Transition, after_refresh, compliance_refresh
from .mailboxes import link_create, link_end, mailbox_set
from .personal_accounts import account_confirm_live, account_record
from .reminders import confirmation_reminders_send

__all__ = [
    "AREA",
    "JOB",
    "RED_REMINDER_EVERY",
    "RequestCompleted",
    "Transition",
    "account_confirm_live",
    "account_record",
    "account_request_complete",
    "account_request_create",
    "account_request_submit",
    "after_refresh",
    "compliance_refresh",
    "confirmation_reminders_send",
    "link_create",
    "link_end",
    "mailbox_set",
]
