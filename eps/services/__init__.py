"""Writes for EPS tokens, by topic. Each service checks permission (who may act on an
order, and when, is eps.actions), locks what it changes, writes the audit event and
queues email on commit.

Every change to a premises' stock locks that premises' TokenSettings row first (orders
after it, always in that order), so concurrent movements queue behind each other and the
never-negative check sees every movement committed before it.

- stock: usage, stock counts and reorder settings (the ledger);
- orders: drafting, placing on PCSE Online, expected delivery, receiving, cancelling,
  chasing;
- orderers: the people linked to the premises' PCSE Online account;
- low_stock: the daily low-stock job's sweep and alerts.
"""

from ._shared import MAX_BACKDATE_DAYS, Kind, Status
from .low_stock import LOW_STOCK_JOB, token_low_stock_alert, token_low_stock_sweep
from .orderers import pcse_orderer_add, pcse_orderer_remove
from .orders import (
    token_order_cancel,
    token_order_draft,
    token_order_escalate,
    token_order_expected_delivery_set,
    token_order_place,
    token_order_receive,
)
from .stock import (
    USAGE_ADD,
    USAGE_CORRECT,
    token_count_record,
    token_settings_update,
    token_usage_record,
)

__all__ = [
    "LOW_STOCK_JOB",
    "MAX_BACKDATE_DAYS",
    "USAGE_ADD",
    "USAGE_CORRECT",
    "Kind",
    "Status",
    "pcse_orderer_add",
    "pcse_orderer_remove",
    "token_count_record",
    "token_low_stock_alert",
    "token_low_stock_sweep",
    "token_order_cancel",
    "token_order_draft",
    "token_order_escalate",
    "token_order_expected_delivery_set",
    "token_order_place",
    "token_order_receive",
    "token_settings_update",
    "token_usage_record",
]
