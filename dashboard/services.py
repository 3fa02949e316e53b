"""The weekly digest to head-office admins: what changed and what is red."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from accounts import standings
from accounts.emails import queue_email
from accounts.models import (
    OrganisationAdmin,
    Premises,
    PremisesStanding,
    SentNotification,
    StandingDay,
)

from . import selectors

if TYPE_CHECKING:
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


def needing_action(
    premises_queryset: QuerySet[Premises], *, shown: int = 10
) -> list[tuple[str, int, list[tuple[str, str]]]]:
    """[(area label, number of red premises, [(name, ODS code)] of the first `shown` by
    name)] for every area in page order, from the stored standings: one query, reading
    names only."""
    red = {}
    for area_key, name, ods_code in (
        PremisesStanding.objects.filter(
            level=standings.RED, premises__in=premises_queryset.order_by().values("pk")
        )
        .order_by("area", "premises__name", "premises_id")
        .values_list("area", "premises__name", "premises__ods_code")
    ):
        red.setdefault(area_key, []).append((name, ods_code))
    return [
        (area.label, len(red.get(area.key, [])), red.get(area.key, [])[:shown])
        for area in standings.areas()
    ]


def weekly_digests_send(*, on: date | None = None) -> int:
    """One digest per head-office admin per organisation per week (weeks start on Monday;
    `on` is today when None), however often it runs: SentNotification keys it.

    The organisation's figures (headline, red premises, the week's changes) are worked
    out once per organisation from the stored standings, in a fixed number of queries
    whatever its size, and shared by its admins. Returns the number of digests queued
    this run.
    """
    on = on or timezone.localdate()
    week = _week_start(on)
    sent = 0
    admins = (
        OrganisationAdmin.objects.filter(user__is_active=True)
        .select_related("user", "organisation")
        .order_by("organisation_id", "pk")
    )
    by_organisation = {}
    for admin in admins:
        by_organisation.setdefault(admin.organisation_id, []).append(admin)
    for organisation_admins in by_organisation.values():
        organisation = organisation_admins[0].organisation
        keys = {
            admin.pk: f"weekly-digest:{admin.user_id}:{admin.organisation_id}:{week.isoformat()}"
            for admin in organisation_admins
        }
        already = set(
            SentNotification.objects.filter(key__in=keys.values()).values_list("key", flat=True)
        )
        waiting = [admin for admin in organisation_admins if keys[admin.pk] not in already]
        if not waiting:
            continue
        premises = Premises.objects.filter(organisation=organisation)
        standings.ensure_current(premises, on=on)
        context = {
            "week": week,
            "headline": selectors.headline(premises),
            "red": needing_action(premises),
            "changes": standing_changes(premises, since=on - timedelta(days=7), until=on),
        }
        for admin in waiting:
            with transaction.atomic():
                _, created = SentNotification.objects.get_or_create(key=keys[admin.pk])
                if not created:
                    continue
                queue_email(
                    to=admin.user.email,
                    subject=f"Weekly compliance digest: {organisation.name}",
                    template="dashboard/emails/weekly_digest.txt",
                    context={**context, "admin": admin},
                )
                sent += 1
    return sent
