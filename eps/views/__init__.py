"""The EPS token pages, by topic.

- premises: a premises' tokens, usage, counts, settings and movements;
- orders: ordering and the order's steps;
- orderers: the PCSE orderer list;
- organisations: the tokens home page, the head-office table and its CSV.
"""

from ._shared import PAGE_SIZE, RECENT_MOVEMENTS
from .orderers import orderer_remove, orderers
from .orders import (
    order_cancel,
    order_create,
    order_detail,
    order_escalate,
    order_expected_delivery,
    order_place,
    order_receive,
)
from .organisations import (
    CSV_HEADER,
    csv_safe,
    organisation_tokens,
    organisation_tokens_export,
    tokens_home,
)
from .premises import count_record, movement_list, premises_tokens, settings_edit, usage_record

__all__ = [
    "CSV_HEADER",
    "PAGE_SIZE",
    "RECENT_MOVEMENTS",
    "count_record",
    "csv_safe",
    "movement_list",
    "order_cancel",
    "order_create",
    "order_detail",
    "order_escalate",
    "order_expected_delivery",
    "order_place",
    "order_receive",
    "orderer_remove",
    "orderers",
    "organisation_tokens",
    "organisation_tokens_export",
    "premises_tokens",
    "settings_edit",
    "tokens_home",
    "usage_record",
]
