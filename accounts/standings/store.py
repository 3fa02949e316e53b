"""Storing worked-out standings (PremisesStanding, StandingDay) and summing the day's
history into StandingTally."""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count

from ..models import PremisesStanding, StandingDay, StandingTally

if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from django.db.models import QuerySet


def tallies_rebuild(
    *,
    days: Iterable[date] | None = None,
    areas: Iterable[str] | None = None,
    organisations: Iterable[int] | QuerySet[Any] | None = None,
) -> None:
    """Sum StandingDay into StandingTally again for these days, areas and organisations
    (ids, or a query giving them; all when None): one delete and one grouped insert. For
    whoever writes history other than through standings_refresh (demo history, a
    restore)."""
    history = StandingDay.objects.all()
    tallies = StandingTally.objects.all()
    if days is not None:
        history, tallies = history.filter(day__in=days), tallies.filter(day__in=days)
    if areas is not None:
        history, tallies = history.filter(area__in=areas), tallies.filter(area__in=areas)
    if organisations is not None:
        history = history.filter(premises__organisation_id__in=organisations)
        tallies = tallies.filter(organisation_id__in=organisations)
    tallies.delete()
    # Summed in the database: INSERT ... SELECT of the ORM's own grouped query, so the
    # rows never come through Python (a national day is tens of thousands of them).
    summed = (
        history.values_list(
            "premises__organisation_id", "premises__region_id", "area", "day", "level"
        )
        .annotate(count=Count("pk"))
        .order_by()
    )
    try:
        select, params = summed.query.sql_with_params()
    except EmptyResultSet:  # nothing asked for: no day, area or organisation
        return
    table = StandingTally._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (organisation_id, region_id, area, day, level, "
            f"premises_count) {select}",
            params,
        )


def _store(results, on, now):
    """Upsert each area's current standings and the day's history row of each premises.
    results: {area key: {premises_id: Standing}}."""
    if not any(results.values()):
        return
    if connection.vendor == "postgresql":
        _store_postgresql(results, on, now)
        return
    for area_key, standings in results.items():
        PremisesStanding.objects.bulk_create(
            [
                PremisesStanding(
                    premises_id=premises_id,
                    area=area_key,
                    level=standing.level,
                    reason=standing.reason[:REASON_LENGTH],
                    figures=standing.figures,
                    worked_out_for=on,
                    worked_out_at=now,
                    stale=False,
                )
                for premises_id, standing in standings.items()
            ],
            update_conflicts=True,
            unique_fields=["premises", "area"],
            update_fields=[
                "level",
                "reason",
                "figures",
                "worked_out_for",
                "worked_out_at",
                "stale",
            ],
            batch_size=2000,
        )
        StandingDay.objects.bulk_create(
            [
                StandingDay(premises_id=premises_id, area=area_key, day=on, level=standing.level)
                for premises_id, standing in standings.items()
            ],
            update_conflicts=True,
            unique_fields=["premises", "area", "day"],
            update_fields=["level"],
            batch_size=2000,
        )


REASON_LENGTH = PremisesStanding._meta.get_field("reason").max_length

# One statement on PostgreSQL: every area's rows travel as one JSON document, which
# jsonb_to_recordset turns back into rows, and both upserts read them. A national refresh
# sends its 48,000 rows once and writes them in one pass over each table, instead of
# sending two multi-row VALUES lists per area in batches (bulk_create's form, which the
# other databases keep). Rows are written in (premises, area) order, the order every
# refresh locks them in, so two refreshes of overlapping premises never deadlock.
_UPSERT_POSTGRESQL = f"""
WITH given AS (
    SELECT * FROM jsonb_to_recordset(%(rows)s::jsonb)
        AS g (premises_id bigint, area text, level text, reason text, figures jsonb)
), current AS (
    INSERT INTO {PremisesStanding._meta.db_table}
        (premises_id, area, level, reason, figures, worked_out_for, worked_out_at, stale)
    SELECT premises_id, area, level, reason, figures, %(on)s, %(now)s, false
    FROM given ORDER BY premises_id, area
    ON CONFLICT (premises_id, area) DO UPDATE SET
        level = EXCLUDED.level, reason = EXCLUDED.reason, figures = EXCLUDED.figures,
        worked_out_for = EXCLUDED.worked_out_for, worked_out_at = EXCLUDED.worked_out_at,
        stale = EXCLUDED.stale
)
INSERT INTO {StandingDay._meta.db_table} (premises_id, area, day, level)
SELECT premises_id, area, %(on)s, level FROM given ORDER BY premises_id, area
ON CONFLICT (premises_id, area, day) DO UPDATE SET level = EXCLUDED.level
"""


def _store_postgresql(results, on, now):
    rows = json.dumps(
        [
            {
                "premises_id": premises_id,
                "area": area_key,
                "level": standing.level,
                "reason": standing.reason[:REASON_LENGTH],
                "figures": standing.figures,
            }
            for area_key, standings in results.items()
            for premises_id, standing in standings.items()
        ],
        cls=PremisesStanding._meta.get_field("figures").encoder,
    )
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT_POSTGRESQL, {"rows": rows, "on": on, "now": now})
