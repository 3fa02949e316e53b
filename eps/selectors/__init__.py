"""Reads for EPS tokens, scoped to what the user may see.

`token_figures` is the one place stock, daily use and days of cover are read: for one
premises' page, for a head office's 2,000 premises, for the low-stock job. It takes a
premises queryset the caller has already scoped and answers in one query, whatever the
number of premises; what the figures mean (days of cover, low, order by) is eps.cover's.

By topic:
- figures: TokenFigures and token_figures, the one read of stock, use and cover;
- stock: one premises' tokens, its settings, its stock ledger and history;
- orders: token orders, who may handle them, their chases with PCSE;
- orderers: the people linked to a premises' PCSE Online account;
- home: the user's own premises' figures and the home page panel;
- organisations: the head-office pages and their table, sorted in SQL.
"""

from ..cover import USAGE_WINDOW_DAYS
from ._shared import AREA, Kind, Status
from .figures import (
    TokenFigures,
    token_figures,
    token_figures_for,
    token_figures_get,
    with_standings,
)
from .home import home_panel, own_premises_figures
from .orderers import (
    is_pcse_orderer,
    pcse_orderer_get,
    pcse_orderers_for_premises,
    staff_who_could_order,
)
from .orders import (
    can_handle_orders,
    escalations_for_order,
    order_get,
    order_get_for_handling,
    orders_for_user,
    premises_orders,
)
from .organisations import (
    DEFAULT_SORT,
    SORTS,
    StoredTokenRow,
    organisation_summary,
    organisation_token_figures,
    organisation_token_table,
    parse_sort,
    sort_figures,
    stored_token_rows,
    token_organisation_get,
    token_organisations_for_user,
)
from .stock import movements_for_premises, stock_history, token_premises_get, token_settings_for

__all__ = [
    "AREA",
    "DEFAULT_SORT",
    "SORTS",
    "USAGE_WINDOW_DAYS",
    "Kind",
    "Status",
    "StoredTokenRow",
    "TokenFigures",
    "can_handle_orders",
    "escalations_for_order",
    "home_panel",
    "is_pcse_orderer",
    "movements_for_premises",
    "order_get",
    "order_get_for_handling",
    "orders_for_user",
    "organisation_summary",
    "organisation_token_figures",
    "organisation_token_table",
    "own_premises_figures",
    "parse_sort",
    "pcse_orderer_get",
    "pcse_orderers_for_premises",
    "premises_orders",
    "sort_figures",
    "staff_who_could_order",
    "stock_history",
    "stored_token_rows",
    "token_figures",
    "token_figures_for",
    "token_figures_get",
    "token_organisation_get",
    "token_organisations_for_user",
    "token_premises_get",
    "token_settings_for",
    "with_standings",
]
