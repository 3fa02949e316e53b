"""What the jobs pick up: holders owed a certificate reminder, requests owed an
escalation, and who to tell."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Membership, UnlockerCover, User

from ..models import FINAL_REMINDER_DAYS, SmartcardHolder, SmartcardRequest

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from datetime import date, datetime

    from django.db.models import QuerySet

    from accounts.models import Premises


def holders_due_reminder(today: date | None = None) -> QuerySet[SmartcardHolder, int]:
    """Ids of holders owed a certificate reminder today (when None): entering the renewal
    window (settings.SMARTCARD_RENEWAL_WINDOW_DAYS), or within FINAL_REMINDER_DAYS of
    expiry, and not yet sent for this expiry date; a flat values_list of ints, by id
    (docs/decisions/0023-smartcards-renewal-window.md)."""
    today = today or timezone.localdate()
    window_end = today + timedelta(days=settings.SMARTCARD_RENEWAL_WINDOW_DAYS)
    final_end = today + timedelta(days=FINAL_REMINDER_DAYS)
    not_sent = Q(renewal_reminder_for__isnull=True) | ~Q(
        renewal_reminder_for=F("certificate_expires_on")
    )
    final_not_sent = Q(final_reminder_for__isnull=True) | ~Q(
        final_reminder_for=F("certificate_expires_on")
    )
    return (
        SmartcardHolder.objects.filter(certificate_expires_on__gte=today)
        .filter(
            (Q(certificate_expires_on__lte=window_end) & not_sent)
            | (Q(certificate_expires_on__lte=final_end) & final_not_sent)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def escalation_due(now: datetime | None = None) -> Q:
    """The one rule for escalating a request, as a filter on SmartcardRequest: open, not
    yet escalated, and waiting at least settings.SMARTCARD_ESCALATE_AFTER_MINUTES minutes
    by `now` (an aware datetime; now when None). The job's selector and its locked write
    both filter by it."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.SMARTCARD_ESCALATE_AFTER_MINUTES)
    return Q(
        status=SmartcardRequest.Status.OPEN, escalated_at__isnull=True, waiting_since__lte=cutoff
    )


def requests_due_escalation(now: datetime | None = None) -> QuerySet[SmartcardRequest, int]:
    """Ids of requests due escalation by `now` (escalation_due): a flat values_list of
    ints, by id."""
    return (
        SmartcardRequest.objects.filter(escalation_due(now))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def escalation_recipients(premises: Premises) -> list[User]:
    """Active unlockers covering the premises (directly or through its organisation), and
    active portal admins, by name."""
    return escalation_recipients_for([premises])[premises.pk]


def escalation_recipients_for(premises_list: Sequence[Premises]) -> dict[int, list[User]]:
    """{premises_id: [User]}: the active unlockers covering each premises and the active
    portal admins, by name. Two queries for any number of premises."""
    premises_ids = {p.pk for p in premises_list}
    organisation_ids = {p.organisation_id for p in premises_list}
    covers = list(
        UnlockerCover.objects.filter(
            Q(premises_id__in=premises_ids) | Q(organisation_id__in=organisation_ids),
            unlocker__is_active=True,
        ).values_list("premises_id", "organisation_id", "unlocker_id")
    )
    covering = {unlocker_id for _, _, unlocker_id in covers}
    people = {
        person.pk: person
        for person in User.objects.filter(
            Q(pk__in=covering) | Q(is_portal_admin=True), is_active=True
        ).order_by("full_name", "pk")
    }
    admins = {pk for pk, person in people.items() if person.is_portal_admin}
    recipients = {}
    for p in premises_list:
        ids = admins | {
            unlocker_id
            for premises_id, organisation_id, unlocker_id in covers
            if premises_id == p.pk or organisation_id == p.organisation_id
        }
        recipients[p.pk] = [person for pk, person in people.items() if pk in ids]
    return recipients


def manager_memberships_of(user: User, today: date | None = None) -> list[Membership]:
    """One current manager membership per active manager of the premises where user
    works now (other than user), with the premises they manage and the manager joined, by
    the manager's name; today when None."""
    return manager_memberships_for([user], today).get(user.pk, [])


def manager_memberships_for(
    people: Iterable[User], today: date | None = None
) -> dict[int, list[Membership]]:
    """manager_memberships_of for many people at once, in two queries: {user_id: [one
    current Membership per active manager of the premises the person works at, other
    than themselves, by manager name then premises name]} (no key for nobody)."""
    today = today or timezone.localdate()
    colleagues = {}
    for user_id, premises_id in (
        Membership.objects.current(today)
        .filter(user_id__in=[person.pk for person in people])
        .values_list("user_id", "premises_id")
    ):
        colleagues.setdefault(premises_id, set()).add(user_id)
    if not colleagues:
        return {}
    memberships = (
        Membership.objects.current(today)
        .filter(premises_id__in=list(colleagues), is_manager=True, user__is_active=True)
        .select_related("user", "premises")
        .order_by("user__full_name", "premises__name", "pk")
    )
    per_person = {}
    for membership in memberships:
        for user_id in colleagues[membership.premises_id]:
            if user_id != membership.user_id:
                per_person.setdefault(user_id, {}).setdefault(membership.user_id, membership)
    return {user_id: list(managers.values()) for user_id, managers in per_person.items()}


def first_premises_of(people: Iterable[User], today: date | None = None) -> dict[int, Premises]:
    """{user_id: the first premises (by name) each person works at now}: one query. The
    premises carry their organisation."""
    today = today or timezone.localdate()
    first = {}
    for membership in (
        Membership.objects.current(today)
        .filter(user_id__in=[person.pk for person in people])
        .select_related("premises__organisation")
        .order_by("premises__name", "pk")
    ):
        first.setdefault(membership.user_id, membership.premises)
    return first
