"""Standings: one true picture of each premises, area by area.

Each area owns one standing module that decides, for a set of premises on a day, each
premises' level (accounts.models.StandingLevel: red, amber, green), a reason sentence and
the figures behind it, and holds every threshold that decision uses:

    nhsmail/rules.py        the shared-mailbox rule
    smartcards/standing.py  expired certificates, urgent and open requests, cover
    eps/standing.py         days of cover, low stock, overdue orders, PCSE orderers
    records/standing.py     an SCR-ready pharmacist, training due a refresh

Areas register with this module when Django starts (their AppConfig.ready), so accounts
never imports an area. This module keeps the results in PremisesStanding (the current
standing, one row per premises and area) and StandingDay (one row per premises, area and
day: the trends), and every reader (dashboard, table, export, API, digest, home panels,
area pages, status tags) reads those rows, so no two pages can disagree about a premises.

They are kept current three ways:
- services call `refresh_on_commit(premises_ids)` for what they touched: the rows are
  marked stale inside the service's transaction and worked out again once it commits;
- the daily job (`standings_refresh()` for every premises) for what changes with time
  alone (30/60-day NHSmail confirmation, certificate windows, days of cover);
- readers call `ensure_current(premises)`, which works out again any standing marked
  stale or worked out for an earlier day, and any premises created in the last two
  days that has none, so a premises never shows a picture older than today even when
  the job has not run; pages showing a few premises read them with
  `current_standings(ids)`, which repairs the same ones from the rows it reads, so it
  costs one query when all is current. A refresh that fails leaves
  its rows stale; pages say so and the next refresh repairs them.

docs/decisions/0026-standings.md records the choice.

By topic:
- registry: what an area registers (Area, Standing, LeavingEffect) and the registered areas;
- refresh: working standings out, refresh on commit, the repair on read (ensure_current);
- store: storing the rows and the day's tallies;
- joins: stored standings joined onto premises querysets, urgency, figure totals;
- stored: StoredStanding, what pages read (current_standings, stored_standings, attach);
- _shared: the three levels, their order and colours.
"""

from ._shared import AMBER, GREEN, RED, SEVERITY, STALE_TAG_COLOUR, TAG_COLOURS, Level
from .joins import figure_totals, join_standings, joined, urgency
from .refresh import (
    MISSING_LOOKBACK_DAYS,
    ensure_current,
    refresh_on_commit,
    standings_mark_stale,
    standings_refresh,
    standings_work_out,
)
from .registry import Area, LeavingEffect, Standing, area, areas, leaving_effects, register
from .store import REASON_LENGTH, tallies_rebuild
from .stored import (
    StoredStanding,
    attach,
    current_standings,
    standing_of,
    standings_of,
    stored_standing,
    stored_standings,
)

__all__ = [
    "AMBER",
    "GREEN",
    "MISSING_LOOKBACK_DAYS",
    "REASON_LENGTH",
    "RED",
    "SEVERITY",
    "STALE_TAG_COLOUR",
    "TAG_COLOURS",
    "Area",
    "LeavingEffect",
    "Level",
    "Standing",
    "StoredStanding",
    "area",
    "areas",
    "attach",
    "current_standings",
    "ensure_current",
    "figure_totals",
    "join_standings",
    "joined",
    "leaving_effects",
    "refresh_on_commit",
    "register",
    "standing_of",
    "standings_mark_stale",
    "standings_of",
    "standings_refresh",
    "standings_work_out",
    "stored_standing",
    "stored_standings",
    "tallies_rebuild",
    "urgency",
]
