"""The smartcards pages, by who uses them.

- holder: a person's own card and requests, and the request page;
- queue: the unlockers' queue, claiming and closing requests, holder search and profiles;
- premises: a premises' cards and requests for its manager, unlocker cover, the
  head-office pages and CSV;
- authorities: Registration Authority contacts for portal admins.
"""

from ._shared import PAGE_SIZE, QUEUE_POLL_SECONDS
from .authorities import authority_edit, authority_list
from .holder import my_card, my_card_edit, request_cancel, request_create, request_detail
from .premises import (
    cover,
    organisation_smartcards,
    organisation_smartcards_csv,
    premises_smartcards,
    staff_card_edit,
    staff_request_create,
)
from .queue import (
    holder_detail,
    holder_search,
    queue,
    queue_rows,
    request_claim,
    request_decline,
    request_release,
    request_resolve,
)

__all__ = [
    "PAGE_SIZE",
    "QUEUE_POLL_SECONDS",
    "authority_edit",
    "authority_list",
    "cover",
    "holder_detail",
    "holder_search",
    "my_card",
    "my_card_edit",
    "organisation_smartcards",
    "organisation_smartcards_csv",
    "premises_smartcards",
    "queue",
    "queue_rows",
    "request_cancel",
    "request_claim",
    "request_create",
    "request_decline",
    "request_detail",
    "request_release",
    "request_resolve",
    "staff_card_edit",
    "staff_request_create",
]
