"""The weekly digest to head-office admins: what changed and what is red."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.emails import queue_email
from accounts.models import OrganisationAdmin, Premises, SentNotification
from nhsmail.models import ComplianceSnapshot

from . import selectors


def _week_start(day):
    return day - timedelta(days=day.weekday())


def nhsmail_changes(premises_queryset, *, since, until):
    """Premises whose NHSmail standing differs between two days' snapshots: one query."""
    snapshots = ComplianceSnapshot.objects.filter(
        day__in=[since, until], premises__in=premises_queryset.values("pk")
    ).values_list("premises_id", "premises__name", "day", "status")
    before, after, names = {}, {}, {}
    for premises_id, name, day, status in snapshots:
        (before if day == since else after)[premises_id] = status
        names[premises_id] = name
    return sorted(
        (names[pid], before[pid], after[pid])
        for pid in before.keys() & after.keys()
        if before[pid] != after[pid]
    )


def weekly_digests_send(*, on=None):
    """One digest per head-office admin per organisation per week, however often it runs."""
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
            rows = selectors.premises_rows(premises.order_by("name"), today=on)
            red = [
                (label, [row for row in rows if row.status_of(area) == "red"])
                for area, label in selectors.AREA_LABELS.items()
            ]
            queue_email(
                to=admin.user.email,
                subject=f"Weekly compliance digest: {admin.organisation.name}",
                template="dashboard/emails/weekly_digest.txt",
                context={
                    "admin": admin,
                    "week": week,
                    "headline": selectors.headline(rows),
                    "red": red,
                    "changes": nhsmail_changes(premises, since=on - timedelta(days=7), until=on),
                },
            )
            sent += 1
    return sent
