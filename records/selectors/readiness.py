"""Staff readiness per premises, and the figures the records standing reads."""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import Membership, Premises
from accounts.permissions import Permission, has_permission, scope_for

from ..readiness import (
    ELIGIBLE_JOB_ROLES,
    READY,
    READY_PHARMACIST,
    assess_membership,
    training_refresh_cutoff,
)


def _count(memberships):
    return Coalesce(
        Subquery(
            memberships.order_by()
            .values("premises")
            .annotate(total=Count("pk"))
            .values("total")[:1]
        ),
        0,
    )


def readiness_figures(premises, *, today=None):
    """`premises` (any Premises queryset, already scoped by the caller) annotated with:

    staff_count, eligible_staff_count, ready_staff_count, has_ready_pharmacist and
    training_due_count (eligible staff whose CPPE training is older than the refresh
    period). One query, however many premises.
    """
    today = today or timezone.localdate()
    current = Membership.objects.current(today).filter(premises=OuterRef("pk"))
    eligible = current.filter(job_role__in=ELIGIBLE_JOB_ROLES)
    return premises.annotate(
        staff_count=_count(current),
        eligible_staff_count=_count(eligible),
        ready_staff_count=_count(current.filter(READY)),
        has_ready_pharmacist=Exists(current.filter(READY_PHARMACIST)),
        training_due_count=_count(
            eligible.filter(scr_readiness__cppe_training_on__lte=training_refresh_cutoff(today))
        ),
    )


@dataclass(frozen=True)
class StaffReadiness:
    membership: Membership
    record: object
    gphc_number: str
    assessment: object


def readiness_for_premises(user, premises, *, today=None):
    """Current staff at the premises with their readiness. One query."""
    if not has_permission(user, Permission.VIEW_READINESS, premises):
        return []
    today = today or timezone.localdate()
    memberships = (
        Membership.objects.current(today)
        .filter(premises=premises)
        .select_related("user", "user__gphc_registration", "scr_readiness")
        .order_by("user__full_name")
    )
    rows = []
    for membership in memberships:
        registration = getattr(membership.user, "gphc_registration", None)
        rows.append(
            StaffReadiness(
                membership=membership,
                record=getattr(membership, "scr_readiness", None),
                gphc_number=registration.number if registration else "",
                assessment=assess_membership(membership, today),
            )
        )
    return rows


def premises_readiness_summary(premises, *, today=None):
    return readiness_figures(Premises.objects.filter(pk=premises.pk), today=today).get()


def readiness_membership_get(user, pk):
    """A current membership whose readiness the user may record, else 404."""
    scope = scope_for(user)
    return get_object_or_404(
        Membership.objects.current()
        .filter(scope.premises_filter(Permission.MANAGE_READINESS, prefix="premises__"))
        .select_related(
            "user",
            "user__gphc_registration",
            "premises",
            "premises__organisation",
            "scr_readiness",
        ),
        pk=pk,
    )
