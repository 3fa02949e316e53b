"""The weekly digest to head-office admins: what changed and what is red."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from accounts import standings
from accounts.emails import queue_email
from accounts.models import OrganisationAdmin, Premises, SentNotification, StandingDay

from . import selectors

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date

    from django.db.models import QuerySet


def _week_start(day):
    return day - timedelta(days=day.weekday())


def standing_changes(
    premises_queryset: QuerySet[Premises], *, since: date, until: date
) -> list[tuple[str, str, str, str]]:
    """[(premises name, area label, level words before, level words after)] for every
    premises and area whose stored daily standing differs between two days, sorted: one
    query. A premises with no history row on either day is left out."""
    days = StandingDay.objects.filter(
        day__in=[since, until], premises__in=premises_queryset.values("pk")
    ).values_list("premises_id", "premises__name", "area", "day", "level")
    before, after, names = {}, {}, {}
    for premises_id, name, area_key, day, level in days:
        (before if day == since else after)[premises_id, area_key] = level
        names[premises_id] = name
    changes = []
    for key in before.keys() & after.keys():
        if before[key] != after[key]:
            area = standings.area(key[1])
            changes.append(
                (names[key[0]], area.label, area.label_for(before[key]), area.label_for(after[key]))
            )
    return sorted(changes)


def _is_red(standing):
    return standing is not None and standing.level == standings.RED


def needing_action(
    rows: Sequence[selectors.PremisesRow],
) -> list[tuple[str, list[selectors.PremisesRow]]]:
    """[(area label, [PremisesRow])]: the premises whose stored standing is red, by area,
    every area in page order (an empty list where none is red)."""
    return [
        (
            area.label,
            [row for row in rows if _is_red(row.standings.get(area.key))],
        )
        for area in standings.areas()
    ]


def weekly_digests_send(*, on: date | None = None) -> int:
    """One digest per head-office admin per organisation per week (weeks start on Monday;
    `on` is today when None), however often it runs: SentNotification keys it. Returns
    the number of digests queued this run."""
    on = on or timezone.localdate()
    week = _week_start(on)
    sent = 0
    admins = OrganisationAdmin.objects.filter(user__is_active=True).select_related(
        "user", "organisation"
    )
    for admin in admins:
        key = f"weekly-digest:{admin.user_id}:{admin.organisation_id}:{week.isoformat()}"
        with transaction.atomic():
            _, created = SentNotification.objects.get_or_create(key=key)
            if not created:
                continue
            premises = Premises.objects.filter(organisation=admin.organisation)
            standings.ensure_current(premises, on=on)
            rows = selectors.rows_for(list(premises.order_by("name")))
            queue_email(
                to=admin.user.email,
                subject=f"Weekly compliance digest: {admin.organisation.name}",
                template="dashboard/emails/weekly_digest.txt",
                context={
                    "admin": admin,
                    "week": week,
                    "headline": selectors.headline(premises),
                    "red": needing_action(rows),
                    "changes": standing_changes(premises, since=on - timedelta(days=7), until=on),
                },
            )
            sent += 1
    return sent
