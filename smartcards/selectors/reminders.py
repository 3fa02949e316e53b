"""What the jobs pick up: holders owed a certificate reminder, requests owed an
escalation, and who to tell."""

from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Membership, User

from ..models import FINAL_REMINDER_DAYS, SmartcardHolder, SmartcardRequest
from .cover import _covers_of


def holders_due_reminder(today=None):
    """Ids of holders owed a certificate reminder today: entering the renewal window, or
    close to expiry, and not yet sent for this expiry date."""
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


def requests_due_escalation(now=None):
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.SMARTCARD_ESCALATE_AFTER_MINUTES)
    return (
        SmartcardRequest.objects.filter(
            status=SmartcardRequest.Status.OPEN,
            escalated_at__isnull=True,
            waiting_since__lte=cutoff,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def escalation_recipients(premises):
    """Active unlockers covering the premises, then portal admins: (email, name) pairs."""
    covering = _covers_of(premises, premises.organisation_id).values("unlocker_id")
    people = User.objects.filter(
        Q(pk__in=covering) | Q(is_portal_admin=True), is_active=True
    ).order_by("full_name")
    return list(people)


def manager_memberships_of(user, today=None):
    """One current manager membership per active manager of the premises where user
    works now (other than user), with the premises they manage."""
    today = today or timezone.localdate()
    where = Membership.objects.current(today).filter(user=user).values("premises_id")
    memberships = (
        Membership.objects.current(today)
        .filter(premises_id__in=where, is_manager=True, user__is_active=True)
        .exclude(user=user)
        .select_related("user", "premises")
        .order_by("user__full_name", "premises__name")
    )
    first_per_manager = {}
    for membership in memberships:
        first_per_manager.setdefault(membership.user_id, membership)
    return list(first_per_manager.values())
