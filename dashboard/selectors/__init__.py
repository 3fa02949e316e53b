"""The cross-area picture, read from the stored standings (accounts.standings).

Nothing here decides a level: each area's standing module does, and this module only
reads what they stored, so the dashboard, its table, the CSV, the premises overview and
the weekly digest agree with the area pages by construction. Filtering, sorting, paging
and totals happen in SQL over PremisesStanding: a fixed number of queries whatever the
number of premises.

By topic:
- rows: the premises a dashboard covers, one row of stored standings per premises;
- table: the premises table's filters and sorting in SQL, and the CSV export;
- headline: the headline figures and the dashboard summary;
- trends: each area's levels week by week, from the daily tallies;
- home: the home page, each area's panel built from what the user holds, read once.
"""

from .headline import DashboardSummary, Headline, dashboard_summary, headline
from .home import HomePage, home_page
from .rows import PremisesRow, area_labels, dashboard_premises, premises_row, regions_of, rows_for
from .table import (
    FIGURE_FILTERS,
    TableFilter,
    export_header,
    export_label,
    export_rows,
    table_premises,
)
from .trends import (
    TREND_WEEKS,
    Trend,
    TrendPoint,
    trend_days,
    trends,
    trends_by_region,
    whole_organisation_tallies,
)

__all__ = [
    "FIGURE_FILTERS",
    "TREND_WEEKS",
    "DashboardSummary",
    "Headline",
    "HomePage",
    "PremisesRow",
    "TableFilter",
    "Trend",
    "TrendPoint",
    "area_labels",
    "dashboard_premises",
    "dashboard_summary",
    "export_header",
    "export_label",
    "export_rows",
    "headline",
    "home_page",
    "premises_row",
    "regions_of",
    "rows_for",
    "table_premises",
    "trend_days",
    "trends",
    "trends_by_region",
    "whole_organisation_tallies",
]
