"""Keeping the standings current at national scale.

- standings_refresh: the daily job's work for every premises: every area's figures,
  levels and reasons worked out and written, with the day's history row. Floor:
  benchmarks.standings_floor.refresh_floor, the same rows written by set-based SQL
  (PostgreSQL only).
- standing_touch: one service change (a stock count) with the refresh it queues on
  commit for its premises. Floor: the same change written by hand and the same refresh
  by the set-based SQL, for that premises. Its query count must not grow with premises.
"""

import itertools
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from accounts import standings
from accounts.management.demo import seed_standing_history
from accounts.models import Premises, PremisesStanding, StandingDay, StandingTally
from benchmarks.scale import biggest_group, head_office_of_biggest_group, vacuum
from eps import services as eps_services
from eps.selectors import token_figures_for

HISTORY_WEEKS = 12


def seed():
    """Today's standings of every premises and twelve weeks of history behind them, once
    every area's scale data is in (this module's name sorts after theirs)."""
    oldest = timezone.localdate() - timedelta(weeks=HISTORY_WEEKS - 1)
    if StandingDay.objects.filter(day=oldest).exists():
        return False
    standings.standings_refresh(notify=False)
    seed_standing_history(every=7)
    return True


def measure(h):
    if connection.vendor != "postgresql":
        print("bench standings skipped: the floor is PostgreSQL SQL", flush=True)
        return
    from benchmarks.standings_floor import refresh_floor

    today = timezone.localdate()
    everything = Premises.objects.count()
    h.compare(
        "standings_refresh",
        everything,
        lambda: standings.standings_refresh(on=today, hooks=False),
        lambda: refresh_floor(on=today),
        repeat=3,
        # Each run rewrites 96,000 rows; production's autovacuum clears what the last
        # daily run left before the next, so neither side pays for the other's runs.
        between=lambda: vacuum(PremisesStanding, StandingDay, StandingTally),
    )

    premises = biggest_group().premises.order_by("pk").first()
    head_office = head_office_of_biggest_group()
    # Counts that always differ from the stock before them, whatever an earlier run left.
    stock = token_figures_for(premises).stock
    counts = itertools.cycle([stock + 1, stock + 2])

    def touch():
        # A count that differs from the stock, so each run writes a movement; the refresh
        # of this premises' EPS standing runs on commit.
        eps_services.token_count_record(
            actor=head_office, premises=premises, counted=next(counts), reason="Stock take"
        )

    def touch_floor():
        counted = next(counts)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT COALESCE(SUM(quantity), 0) FROM eps_stockmovement WHERE premises_id = %s",
                [premises.pk],
            )
            difference = counted - cursor.fetchone()[0]
            cursor.execute(
                "INSERT INTO eps_stockmovement (premises_id, kind, quantity, occurred_on, "
                "period_days, covers_from, reason, recorded_by_id, recorded_at) "
                "VALUES (%s, 'adjustment', %s, %s, 1, %s, 'Stock take', %s, now()) RETURNING id",
                [premises.pk, difference, today, today, head_office.pk],
            )
            movement_id = cursor.fetchone()[0]
            cursor.execute(
                "INSERT INTO accounts_auditevent (created_at, actor_id, actor_label, action, "
                "object_type, object_id, object_repr, organisation_id, premises_id, changes, "
                "request_id) VALUES (now(), %s, %s, 'tokens.count_recorded', 'stockmovement', "
                "%s, '', %s, %s, '{}', '')",
                [
                    head_office.pk,
                    head_office.full_name,
                    movement_id,
                    premises.organisation_id,
                    premises.pk,
                ],
            )
        refresh_floor(premises_ids=[premises.pk], on=today, areas=["eps"])

    h.compare("standing_touch", everything, touch, touch_floor, repeat=7)
